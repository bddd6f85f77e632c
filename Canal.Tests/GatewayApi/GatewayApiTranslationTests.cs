using Canal.GatewayApi;
using Canal.Istio;

namespace Canal.Tests.GatewayApi;

public sealed class GatewayApiTranslationTests
{
    private const string Infra = "gateway-conformance-infra";
    private const string Backend = "gateway-conformance-web-backend";
    private static readonly RedirectOptions Options = new();

    private static readonly ApiGateway Canal = new(new ObjectKey("istio-system", "mesh"), "canal", [],
        [new Listener("http", 80, "HTTP", null, null, new AllowedRoutes("All", null, []))]);

    private static ApiRoute HttpRoute(string ns, string name, params BackendRef[] backends) =>
        new(ApiRouteKind.HTTPRoute, new ObjectKey(ns, name), [], [new ParentRef(GatewayApiGroup.Name, "Gateway", "istio-system", "mesh", null, null)], backends);

    private static BackendRef Service(string name, string? ns = null, int? port = 8080) => new("", "Service", name, ns, port, "spec.rules[0].backendRefs[0]");

    private static Translation Translate(IReadOnlyList<ApiRoute> routes, IReadOnlyList<ReferenceGrant>? grants = null, params ApiGateway[] gateways) =>
        GatewayApiTranslation.Translate(new GatewayApiObjects(gateways.Length > 0 ? gateways : [Canal], routes, grants ?? [], new Dictionary<string, IReadOnlyDictionary<string, string>>()), Options);

    /// <summary>The destinations that will be looked at for a redirect (not already known to be skipped).</summary>
    private static List<RouteDestination> Redirectable(Translation translation) =>
        [.. translation.VirtualServices.SelectMany(v => v.Destinations).Where(d => d.SkipReason == null)];

    private static readonly ClusterService MeshService = new(new ObjectKey("istio-system", "mesh-canal"),
        new Dictionary<string, string> { ["gateway.networking.k8s.io/gateway-name"] = "mesh" }, [new ServicePort(80, "http", null)], ["10.0.0.9"]);

    // conformance/tests/httproute-reference-grant.yaml
    private static readonly ReferenceGrant Grant = new(new ObjectKey(Backend, "reference-grant"),
        [new GrantFrom(GatewayApiGroup.Name, "HTTPRoute", Infra)], [new GrantTo("", "Service", "web-backend")]);

    [Fact]
    public void A_backend_in_another_namespace_is_redirected_only_with_a_ReferenceGrant_there()
    {
        var route = HttpRoute(Infra, "reference-grant", Service("web-backend", Backend));
        var granted = Translate([route], [Grant]);
        Assert.Equal("web-backend.gateway-conformance-web-backend.svc.cluster.local", Assert.Single(Assert.Single(granted.VirtualServices).Destinations).Host);

        var refused = Translate([route]);
        Assert.Empty(Redirectable(refused));
        // Said as a skipped host of the route: in the plan, its Events and canal-cmd.
        Assert.Contains("RefNotPermitted", Assert.Single(Assert.Single(refused.VirtualServices).Destinations).SkipReason);
    }

    public static TheoryData<string, ReferenceGrant> WrongGrants() => new()
    {
        // conformance/tests/httproute-invalid-reference-grant.yaml: each grant is wrong in one field.
        { "in the route's namespace", Grant with { Key = new ObjectKey(Infra, "wrong-namespace") } },
        { "from another group", Grant with { From = [new GrantFrom("not-the-group", "HTTPRoute", Infra)] } },
        { "from another kind", Grant with { From = [new GrantFrom(GatewayApiGroup.Name, "GRPCRoute", Infra)] } },
        { "from another namespace", Grant with { From = [new GrantFrom(GatewayApiGroup.Name, "HTTPRoute", "elsewhere")] } },
        { "to another group", Grant with { To = [new GrantTo("not-the-group", "Service", "web-backend")] } },
        { "to another kind", Grant with { To = [new GrantTo("", "Secret", "web-backend")] } },
        { "to another name", Grant with { To = [new GrantTo("", "Service", "other-backend")] } },
    };

    [Theory]
    [MemberData(nameof(WrongGrants))]
    public void A_ReferenceGrant_wrong_in_any_field_permits_nothing(string wrong, ReferenceGrant grant)
    {
        Assert.NotEmpty(wrong);
        var translation = Translate([HttpRoute(Infra, "reference-grant", Service("web-backend", Backend))], [grant]);
        Assert.Empty(Redirectable(translation));
    }

    [Fact]
    public void A_grant_without_a_name_permits_every_Service_of_its_namespace()
    {
        var translation = Translate([HttpRoute(Infra, "r", Service("web-backend", Backend), Service("other", Backend))], [Grant with { To = [new GrantTo("", "Service", null)] }]);
        Assert.Equal(2, Redirectable(translation).Count);
    }

    [Theory]
    [InlineData("", "Service", "web", null, "needs a port")]
    [InlineData("", "Service", "web.other", 80, "is not a Service name")]
    [InlineData("gateway.envoyproxy.io", "Backend", "web", 80, "kind Backend.gateway.envoyproxy.io is not a Service")]
    public void A_backend_that_is_not_a_Service_with_a_port_is_skipped_with_a_reason(string group, string kind, string name, int? port, string reason)
    {
        var translation = Translate([HttpRoute(Infra, "r", new BackendRef(group, kind, name, null, port, "spec.rules[0].backendRefs[0]"))]);
        var decision = Assert.Single(RedirectPlanner.Plan(translation.VirtualServices, translation.Gateways, [], Options).Decisions);
        Assert.Equal(HostStatus.Skipped, decision.Status);
        Assert.Contains(reason, decision.Reason);
        Assert.Contains("spec.rules[0].backendRefs[0]", decision.Reason);
    }

    [Fact]
    public void An_automated_gateway_points_at_the_Service_istiod_creates_and_a_manual_one_at_its_address()
    {
        var manual = Canal with
        {
            Key = new ObjectKey("istio-system", "shared"),
            Addresses = [new GatewayAddress("Hostname", "canal.istio-system.svc.cluster.local")],
        };
        var outside = Canal with { Key = new ObjectKey("istio-system", "outside"), Addresses = [new GatewayAddress("Hostname", "lb.example.com")] };
        var otherClass = Canal with { Key = new ObjectKey("istio-system", "ingress"), ClassName = "istio" };
        var translation = Translate([], null, Canal, manual, outside, otherClass);

        Assert.Equal(
            [(new ObjectKey("istio-system", "Gateway:mesh"), new ObjectKey("istio-system", "mesh-canal")), (new ObjectKey("istio-system", "Gateway:shared"), new ObjectKey("istio-system", "canal"))],
            translation.Gateways.Select(g => (g.Key, g.DnsTarget!.Value)));
        Assert.Contains("not a Service of this cluster", Assert.Single(translation.Problems).Reason);
    }

    [Fact]
    public void A_route_attached_to_a_canal_gateway_redirects_its_backend_to_the_gateways_Service()
    {
        var route = HttpRoute("default", "helloworld", Service("helloworld", port: 80));
        var translation = Translate([route]);
        var helloworld = new ClusterService(new ObjectKey("default", "helloworld"), new Dictionary<string, string> { ["app"] = "helloworld" }, [new ServicePort(80, "http", null)], ["10.0.0.5"]);
        var gatewayService = new ClusterService(new ObjectKey("istio-system", "mesh-canal"), new Dictionary<string, string> { ["gateway.networking.k8s.io/gateway-name"] = "mesh" }, [new ServicePort(80, "http", null)], ["10.0.0.9"]);

        var plan = RedirectPlanner.Plan(translation.VirtualServices, translation.Gateways, [helloworld, gatewayService], Options);

        var redirect = Assert.Single(plan.Redirects);
        Assert.Equal(("helloworld.default.svc.cluster.local", "mesh-canal.istio-system.svc.cluster.local"), (redirect.Host, redirect.TargetFqdn));
        Assert.Equal([new ObjectKey("default", "HTTPRoute:helloworld")], Assert.Single(plan.Decisions).Claimers);
    }

    [Fact]
    public void A_backend_whose_Service_port_no_listener_opens_is_blocked_as_for_a_VirtualService()
    {
        var translation = Translate([HttpRoute("default", "helloworld", Service("helloworld", port: 5000))]);
        var helloworld = new ClusterService(new ObjectKey("default", "helloworld"), new Dictionary<string, string>(), [new ServicePort(5000, "http", null)], []);
        var decision = Assert.Single(RedirectPlanner.Plan(translation.VirtualServices, translation.Gateways, [helloworld, MeshService], Options).Decisions);
        Assert.Equal(HostStatus.Blocked, decision.Status);
        Assert.Contains("5000", decision.Reason);
    }

    [Fact]
    public void A_host_routed_by_a_VirtualService_and_an_HTTPRoute_is_claimed_by_both()
    {
        var translation = Translate([HttpRoute("default", "helloworld", Service("helloworld", port: 80))]);
        var vs = new VirtualService(new ObjectKey("default", "helloworld"), "1", 1, ["helloworld"], ["istio-system/canal"], [],
            [new Route(RouteKind.Http, "spec.http[0]", [], [new RouteDestination("helloworld", 80, "spec.http[0].route[0].destination.host")])]);
        var istio = new Gateway(new ObjectKey("istio-system", "canal"), new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new GatewayServer(80, "HTTP", ["*/*"])]);

        var plan = RedirectPlanner.Plan([vs, .. translation.VirtualServices], [istio, .. translation.Gateways], [], Options);

        Assert.Equal([new ObjectKey("default", "HTTPRoute:helloworld"), new ObjectKey("default", "helloworld")], Assert.Single(plan.Decisions).Claimers.Order());
    }

    [Fact]
    public void A_backend_no_hostname_of_the_route_covers_is_not_redirected()
    {
        var route = HttpRoute("default", "site", Service("site", port: 80)) with { Hostnames = ["www.example.com"] };
        var translation = Translate([route]);
        Assert.Contains("would answer its clients 404", Assert.Single(translation.VirtualServices.SelectMany(v => v.Destinations)).SkipReason);
        var covered = Translate([route with { Hostnames = ["*.default.svc.cluster.local"] }]);
        Assert.Single(Redirectable(covered));
    }

    [Fact]
    public void A_TCPRoute_on_a_TCP_listener_and_a_TLSRoute_on_a_passthrough_listener_are_redirected_as_tcp_and_tls_routes()
    {
        var gateway = Canal with
        {
            Listeners =
            [
                new Listener("db", 5432, "TCP", null, null, new AllowedRoutes("All", null, [])),
                new Listener("tls", 443, "TLS", null, "Passthrough", new AllowedRoutes("All", null, [])),
            ],
        };
        ApiRoute Route(ApiRouteKind kind, string name, int port, string[] hostnames) => new(kind, new ObjectKey("shop", name), hostnames,
            [new ParentRef(GatewayApiGroup.Name, "Gateway", "istio-system", "mesh", null, null)], [Service(name, port: port)]);
        var translation = Translate(
            [Route(ApiRouteKind.TCPRoute, "db", 5432, []), Route(ApiRouteKind.TLSRoute, "payments", 443, ["payments.shop.svc.cluster.local"])], null, gateway);
        var services = new[]
        {
            new ClusterService(new ObjectKey("shop", "db"), new Dictionary<string, string>(), [new ServicePort(5432, "tcp", null)], []),
            new ClusterService(new ObjectKey("shop", "payments"), new Dictionary<string, string>(), [new ServicePort(443, "https", null)], []),
            MeshService with { Ports = [new ServicePort(5432, "tcp", null), new ServicePort(443, "tls", null)] },
        };

        var plan = RedirectPlanner.Plan(translation.VirtualServices, translation.Gateways, services, Options);

        Assert.Equal(["db.shop.svc.cluster.local", "payments.shop.svc.cluster.local"], plan.Redirects.Select(r => r.Host).Order());
        Assert.Equal([RouteKind.Tcp, RouteKind.Tls], translation.VirtualServices.Select(v => Assert.Single(v.Routes).Kind).Order());
    }

    [Fact]
    public void Until_the_gateways_Service_exists_its_hosts_are_blocked()
    {
        var translation = Translate([HttpRoute("default", "helloworld", Service("helloworld", port: 80))]);
        var decision = Assert.Single(RedirectPlanner.Plan(translation.VirtualServices, translation.Gateways, [], Options).Decisions);
        Assert.Equal(HostStatus.Blocked, decision.Status);
        Assert.Contains("istio-system/mesh-canal does not exist", decision.Reason);
    }

    [Fact]
    public void A_name_a_more_specific_listener_on_the_same_port_takes_is_not_redirected_through_a_wider_one()
    {
        // Istio's listener isolation: requests for api.payments go to listener "pay", whatever is attached to "all".
        var gateway = Canal with
        {
            Listeners =
            [
                new Listener("all", 80, "HTTP", null, null, new AllowedRoutes("All", null, [])),
                new Listener("pay", 80, "HTTP", "*.payments.svc.cluster.local", null, new AllowedRoutes("All", null, [])),
            ],
        };
        var onAll = new ApiRoute(ApiRouteKind.HTTPRoute, new ObjectKey("payments", "api"), [],
            [new ParentRef(GatewayApiGroup.Name, "Gateway", "istio-system", "mesh", "all", null)], [Service("api"), Service("other", "default")]);
        var grant = new ReferenceGrant(new ObjectKey("default", "g"), [new GrantFrom(GatewayApiGroup.Name, "HTTPRoute", "payments")], [new GrantTo("", "Service", null)]);

        var translation = Translate([onAll], [grant], gateway);

        Assert.Equal(["other.default.svc.cluster.local"], Redirectable(translation).Select(d => d.Host));
        Assert.Contains("more specific hostname", translation.VirtualServices.SelectMany(v => v.Destinations).Single(d => d.SkipReason != null).SkipReason);
    }

    [Fact]
    public void A_terminating_TLS_listener_takes_TCPRoutes_and_a_passthrough_one_TLSRoutes_as_Istio_does()
    {
        Assert.Equal([ApiRouteKind.TLSRoute, ApiRouteKind.TCPRoute], RouteAttachment.KindsOf(new Listener("t", 443, "TLS", null, "Terminate", AllowedRoutes.Default)));
        Assert.Equal([ApiRouteKind.TLSRoute], RouteAttachment.KindsOf(new Listener("p", 443, "TLS", null, "Passthrough", AllowedRoutes.Default)));
    }
}
