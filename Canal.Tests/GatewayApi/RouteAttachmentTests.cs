using Canal.GatewayApi;
using Canal.Istio;

namespace Canal.Tests.GatewayApi;

/// <summary>The Gateway API's attachment rules, each with the example the spec's conformance tests use.</summary>
public sealed class RouteAttachmentTests
{
    private const string Infra = "gateway-conformance-infra";
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private static Listener Http(string name, int port, string? hostname = null, AllowedRoutes? allowed = null) =>
        new(name, port, "HTTP", hostname, null, allowed ?? AllowedRoutes.Default);

    private static ApiGateway Gateway(string name, params Listener[] listeners) => new(new ObjectKey(Infra, name), "canal", [], listeners);

    private static ParentRef Parent(string gateway, string? section = null, int? port = null, string? ns = null) =>
        new(GatewayApiGroup.Name, "Gateway", ns, gateway, section, port);

    private static ApiRoute Route(ApiRouteKind kind, string ns, string[] hostnames, params ParentRef[] parents) =>
        new(kind, new ObjectKey(ns, "route"), hostnames, parents, []);

    private static string[] Names(Attachment attachment) => [.. attachment.Listeners.Select(l => l.Name)];

    // conformance/tests/httproute-listener-port-matching.yaml
    private static readonly ApiGateway PortMatching = Gateway("httproute-listener-port-matching",
        Http("listener-1", 80, "foo.com"), Http("listener-2", 8080, "foo.com"), Http("listener-3", 8080, "bar.com"),
        Http("listener-4", 8090, "foo.com"), Http("listener-5", 8090, "bar.com"));

    [Fact]
    public void A_parentRef_port_attaches_to_every_listener_on_that_port()
    {
        var route = Route(ApiRouteKind.HTTPRoute, Infra, [], Parent(PortMatching.Key.Name, port: 8080));
        var attachment = RouteAttachment.Attach(route, route.Parents[0], PortMatching, NoLabels);
        Assert.Equal(["listener-2", "listener-3"], Names(attachment));
    }

    [Fact]
    public void A_parentRef_with_port_and_sectionName_attaches_to_the_one_listener_matching_both()
    {
        var route = Route(ApiRouteKind.HTTPRoute, Infra, [], Parent(PortMatching.Key.Name, "listener-4", 8090));
        Assert.Equal(["listener-4"], Names(RouteAttachment.Attach(route, route.Parents[0], PortMatching, NoLabels)));
    }

    [Fact]
    public void A_sectionName_whose_listener_has_another_port_is_no_matching_parent()
    {
        // conformance/tests/httproute-invalid-parentref-section-name-not-matching-port.yaml
        var gateway = Gateway("same-namespace", Http("http", 80));
        var route = Route(ApiRouteKind.HTTPRoute, Infra, [], Parent("same-namespace", "http", 81));
        var attachment = RouteAttachment.Attach(route, route.Parents[0], gateway, NoLabels);
        Assert.Empty(attachment.Listeners);
        Assert.Equal(NotAttached.NoMatchingParent, attachment.Reason);
    }

    [Fact]
    public void By_default_a_listener_takes_routes_of_its_own_namespace_only()
    {
        var gateway = Gateway("same-namespace", Http("http", 80));
        var route = Route(ApiRouteKind.HTTPRoute, "gateway-conformance-web-backend", [], Parent("same-namespace", ns: Infra));
        Assert.Equal(NotAttached.NotAllowedByListeners, RouteAttachment.Attach(route, route.Parents[0], gateway, NoLabels).Reason);
        var own = Route(ApiRouteKind.HTTPRoute, Infra, [], Parent("same-namespace"));
        Assert.Equal(["http"], Names(RouteAttachment.Attach(own, own.Parents[0], gateway, NoLabels)));
    }

    [Fact]
    public void A_namespace_selector_takes_routes_of_the_namespaces_whose_labels_it_selects()
    {
        // conformance/base/manifests.yaml, Gateway backend-namespaces; httproute-cross-namespace.yaml
        var selector = new LabelSelector(new Dictionary<string, string> { ["gateway-conformance"] = "backend" }, []);
        var gateway = Gateway("backend-namespaces", Http("http", 80, allowed: new AllowedRoutes("Selector", selector, [])));
        var labelled = Route(ApiRouteKind.HTTPRoute, "gateway-conformance-web-backend", [], Parent("backend-namespaces", ns: Infra));
        Assert.Equal(["http"], Names(RouteAttachment.Attach(labelled, labelled.Parents[0], gateway, new Dictionary<string, string> { ["gateway-conformance"] = "backend" })));
        Assert.Equal(NotAttached.NotAllowedByListeners, RouteAttachment.Attach(labelled, labelled.Parents[0], gateway, NoLabels).Reason);
    }

    [Fact]
    public void A_selector_sees_the_namespace_name_label_every_namespace_has()
    {
        var selector = new LabelSelector(new Dictionary<string, string>(), [new LabelExpression("kubernetes.io/metadata.name", "In", ["shop", "blog"])]);
        var gateway = Gateway("shared", Http("http", 80, allowed: new AllowedRoutes("Selector", selector, [])));
        var shop = Route(ApiRouteKind.HTTPRoute, "shop", [], Parent("shared", ns: Infra));
        var other = Route(ApiRouteKind.HTTPRoute, "other", [], Parent("shared", ns: Infra));
        Assert.Null(RouteAttachment.Attach(shop, shop.Parents[0], gateway, NoLabels).Reason);
        Assert.Equal(NotAttached.NotAllowedByListeners, RouteAttachment.Attach(other, other.Parents[0], gateway, NoLabels).Reason);
    }

    [Fact]
    public void A_listener_takes_only_the_kinds_it_allows_and_its_protocol_carries()
    {
        // conformance/tests/httproute-disallowed-kind.yaml: a TLS listener that allows TLSRoute only
        var tls = new Listener("tls", 443, "TLS", null, "Passthrough", new AllowedRoutes("Same", null, [new RouteGroupKind(GatewayApiGroup.Name, "TLSRoute")]));
        var gateway = Gateway("tlsroutes-only", tls, Http("http", 80));
        var http = Route(ApiRouteKind.HTTPRoute, Infra, [], Parent("tlsroutes-only", "tls"));
        Assert.Equal(NotAttached.NotAllowedByListeners, RouteAttachment.Attach(http, http.Parents[0], gateway, NoLabels).Reason);
        // conformance/tests/tcproute-invalid-non-tcp-listener.yaml: a TCPRoute on an HTTP listener
        var tcp = Route(ApiRouteKind.TCPRoute, Infra, [], Parent("tlsroutes-only", "http"));
        Assert.Equal(NotAttached.NotAllowedByListeners, RouteAttachment.Attach(tcp, tcp.Parents[0], gateway, NoLabels).Reason);
        var grpc = Route(ApiRouteKind.GRPCRoute, Infra, [], Parent("tlsroutes-only", "http"));
        Assert.Equal(["http"], Names(RouteAttachment.Attach(grpc, grpc.Parents[0], gateway, NoLabels)));
    }

    // conformance/tests/httproute-hostname-intersection.yaml
    private static readonly ApiGateway Intersection = Gateway("httproute-hostname-intersection",
        Http("listener-1", 80, "very.specific.com"), Http("listener-2", 80, "*.wildcard.io"), Http("listener-3", 80, "*.anotherwildcard.io"));

    [Theory]
    [InlineData(new[] { "non.matching.com", "wildcard.io", "foo.wildcard.io", "foo.bar.wildcard.io" }, new[] { "listener-2" })]
    [InlineData(new[] { "*.specific.com" }, new[] { "listener-1" })]
    [InlineData(new[] { "*.anotherwildcard.io" }, new[] { "listener-3" })]
    [InlineData(new string[0], new[] { "listener-1", "listener-2", "listener-3" })]
    public void A_route_attaches_to_the_listeners_whose_hostname_one_of_its_own_intersects(string[] hostnames, string[] listeners)
    {
        var route = Route(ApiRouteKind.HTTPRoute, Infra, hostnames, Parent(Intersection.Key.Name));
        Assert.Equal(listeners, Names(RouteAttachment.Attach(route, route.Parents[0], Intersection, NoLabels)));
    }

    [Fact]
    public void A_route_none_of_whose_hostnames_intersects_a_listener_is_not_attached()
    {
        var route = Route(ApiRouteKind.HTTPRoute, Infra, ["specific.but.wrong.com", "wildcard.io"], Parent(Intersection.Key.Name));
        Assert.Equal(NotAttached.NoMatchingListenerHostname, RouteAttachment.Attach(route, route.Parents[0], Intersection, NoLabels).Reason);
    }

    [Theory]
    [InlineData("*.example.com", "test.example.com", true)]
    [InlineData("*.example.com", "foo.test.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "*.test.example.com", true)]
    [InlineData("*.example.com", "*.other.com", false)]
    [InlineData("Foo.Example.com", "foo.example.com", true)]
    public void Hostnames_intersect_when_equal_or_when_a_wildcard_covers_one_or_more_labels(string a, string b, bool intersect)
    {
        Assert.Equal(intersect, RouteAttachment.Intersect(a, b));
        Assert.Equal(intersect, RouteAttachment.Intersect(b, a));
    }

    [Fact]
    public void A_parentRef_names_a_gateway_by_group_kind_namespace_and_name()
    {
        var gateway = new ObjectKey(Infra, "gw");
        Assert.True(RouteAttachment.Names(Parent("gw"), Infra, gateway));
        Assert.True(RouteAttachment.Names(Parent("gw", ns: Infra), "elsewhere", gateway));
        Assert.False(RouteAttachment.Names(Parent("gw"), "elsewhere", gateway));
        Assert.False(RouteAttachment.Names(Parent("gw") with { Kind = "Service", Group = "" }, Infra, gateway));
    }
}
