using Canal.Istio;
using Canal.Reading;
using Canal.Tests.Support;

namespace Canal.Tests.Istio;

public class RedirectPlannerTests
{
    private static readonly RedirectOptions Defaults = new();
    private static readonly Dictionary<string, string> CanalWorkload = new() { ["app"] = "canal-gateway" };

    private static readonly Gateway Canal = Gw("istio-system", "canal", [9080]);
    private static readonly ClusterService CanalService = Svc("istio-system", "canal", [9080], CanalWorkload, "10.96.0.50");
    private static readonly ClusterService Reviews = Svc("shop", "reviews", [9080]);

    private const string ReviewsFqdn = "reviews.shop.svc.cluster.local";

    [Fact]
    public void A_virtual_service_naming_the_canal_gateway_as_namespace_slash_name_is_redirected()
    {
        var plan = Plan([Vs("shop", "reviews", ["istio-system/canal"], "reviews")], [Canal], [CanalService, Reviews]);

        var redirect = Assert.Single(plan.Redirects);
        Assert.Equal((ReviewsFqdn, "canal.istio-system.svc.cluster.local"), (redirect.Host, redirect.TargetFqdn));
        Assert.Equal(["10.96.0.50"], redirect.TargetIPs);
        var decision = Assert.Single(plan.Decisions);
        Assert.Equal((HostStatus.Redirected, new ObjectKey("istio-system", "canal")), (decision.Status, decision.Gateway));
        Assert.Equal([new ObjectKey("shop", "reviews")], decision.Claimers);
        Assert.Contains("-> canal.istio-system.svc.cluster.local via gateway istio-system/canal", decision.Reason);
    }

    [Fact]
    public void A_bare_gateway_name_means_the_virtual_service_namespace()
    {
        var sameNamespace = Plan([Vs("istio-system", "reviews", ["canal"], ReviewsFqdn)], [Canal], [CanalService, Reviews]);
        Assert.Equal([ReviewsFqdn], sameNamespace.Redirects.Select(r => r.Host));

        var otherNamespace = Plan([Vs("shop", "reviews", ["canal"], "reviews")], [Canal], [CanalService, Reviews]);
        Assert.Empty(otherNamespace.Redirects);
        var decision = Assert.Single(otherNamespace.Decisions);
        Assert.Equal(HostStatus.Skipped, decision.Status);
        Assert.Contains("shop/canal is not a known canal gateway", decision.Reason);
    }

    [Theory]
    [InlineData("mesh")]
    [InlineData(null)]
    public void A_virtual_service_bound_only_to_the_mesh_is_not_redirected(string? gateway)
    {
        var plan = Plan([Vs("shop", "reviews", gateway == null ? [] : [gateway], "reviews")], [Canal], [CanalService, Reviews]);

        Assert.Empty(plan.Redirects);
        var decision = Assert.Single(plan.Decisions);
        Assert.Equal((ReviewsFqdn, HostStatus.Skipped), (decision.Host, decision.Status));
        Assert.Contains("name only mesh", decision.Reason);
    }

    [Fact]
    public void Mesh_next_to_a_canal_gateway_does_not_matter()
    {
        var plan = Plan([Vs("shop", "reviews", ["mesh", "istio-system/canal"], "reviews")], [Canal], [CanalService, Reviews]);
        Assert.Equal([ReviewsFqdn], plan.Redirects.Select(r => r.Host));
    }

    [Fact]
    public void A_gateway_of_another_workload_or_a_missing_gateway_binds_nothing()
    {
        var ingress = new Gateway(new ObjectKey("istio-system", "ingress"), new Dictionary<string, string> { ["istio"] = "ingressgateway" }, [new GatewayServer(9080, "HTTP", ["*"])]);
        var plan = Plan(
            [Vs("shop", "reviews", ["istio-system/ingress"], "reviews"), Vs("shop", "ratings", ["istio-system/gone"], "ratings")],
            [Canal, ingress], [CanalService, Reviews]);

        Assert.Empty(plan.Redirects);
        Assert.Equal([HostStatus.Skipped, HostStatus.Skipped], plan.Decisions.Select(d => d.Status));
        Assert.Contains("istio-system/gone is not a known canal gateway", plan.Decisions.Single(d => d.Host.StartsWith("ratings.")).Reason);
        Assert.Contains("istio-system/ingress is not a known canal gateway", plan.Decisions.Single(d => d.Host.StartsWith("reviews.")).Reason);
    }

    [Fact]
    public void A_gateway_without_a_selector_is_not_a_canal_gateway()
    {
        var noSelector = Canal with { Selector = new Dictionary<string, string>() };
        var plan = Plan([Vs("shop", "reviews", ["istio-system/canal"], "reviews")], [noSelector], [CanalService, Reviews]);
        Assert.Empty(plan.Redirects);
    }

    [Fact]
    public void Http_tcp_and_tls_destinations_count_and_mirrors_do_not()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: all-kinds, namespace: shop }
            spec:
              hosts: [web, web-canary, db, secure, shadow, shadow2]
              gateways: [istio-system/canal]
              http:
                - route: [ { destination: { host: web }, weight: 90 }, { destination: { host: web-canary }, weight: 10 } ]
                  mirror: { host: shadow }
                  mirrors: [ { destination: { host: shadow2 } } ]
              tcp:
                - route: [ { destination: { host: db } } ]
              tls:
                - match: [ { sniHosts: [secure.shop.svc.cluster.local] } ]
                  route: [ { destination: { host: secure } } ]
            """, "vs.yaml");
        Assert.Empty(manifests.Errors);

        var gateway = Canal with
        {
            Servers = [new GatewayServer(9080, "HTTP", ["*"]), new GatewayServer(5432, "TCP", ["*"]), new GatewayServer(8443, "TLS", ["*"], "PASSTHROUGH")],
        };
        var plan = Plan(manifests.VirtualServices, [gateway], [CanalService with { Ports = [new(9080, null, "TCP"), new(5432, null, "TCP"), new(8443, null, "TCP")] }]);

        Assert.Equal(
            ["db.shop.svc.cluster.local", "secure.shop.svc.cluster.local", "web-canary.shop.svc.cluster.local", "web.shop.svc.cluster.local"],
            plan.Redirects.Select(r => r.Host));
        Assert.DoesNotContain(plan.Decisions, d => d.Host.Contains("shadow"));
    }

    [Fact]
    public void A_delegate_virtual_service_is_redirected_under_its_root_gateways()
    {
        var root = IstioObjects.Root(new ObjectKey("front", "root"), ["istio-system/canal"], new ObjectKey("team", "reviews-routes"), ReviewsFqdn);
        var delegated = IstioObjects.Delegate(new ObjectKey("team", "reviews-routes"), ReviewsFqdn);

        var plan = Plan([delegated, root], [Canal], [CanalService, Reviews]);

        var decision = Assert.Single(plan.Decisions);
        Assert.Equal((ReviewsFqdn, HostStatus.Redirected), (decision.Host, decision.Status));
        Assert.Equal([new ObjectKey("team", "reviews-routes")], decision.Claimers);

        // Without its root, the delegate is bound to nothing.
        var alone = Plan([delegated], [Canal], [CanalService, Reviews]);
        Assert.Equal(HostStatus.Skipped, Assert.Single(alone.Decisions).Status);
    }

    [Fact]
    public void A_delegate_read_from_yaml_inherits_the_root_gateway_named_in_the_root_namespace()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: root, namespace: istio-system }
            spec:
              hosts: [reviews.shop.svc.cluster.local, ratings.shop.svc.cluster.local]
              gateways: [canal]
              http:
                - match: [ { uri: { prefix: /reviews } } ]
                  delegate: { name: reviews-routes, namespace: shop }
                - match: [ { uri: { prefix: /ratings } } ]
                  delegate: { name: ratings-routes }
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews-routes, namespace: shop }
            spec:
              http:
                - route: [ { destination: { host: reviews } } ]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: ratings-routes, namespace: istio-system }
            spec:
              http:
                - route: [ { destination: { host: ratings.shop.svc.cluster.local } } ]
            """, "delegates.yaml");
        Assert.Empty(manifests.Errors);

        var plan = Plan(manifests.VirtualServices, [Canal], [CanalService]);

        Assert.Equal(["ratings.shop.svc.cluster.local", ReviewsFqdn], plan.Redirects.Select(r => r.Host));
    }

    [Fact]
    public void A_host_stays_redirected_while_one_virtual_service_still_routes_to_it()
    {
        var a = Vs("shop", "a", ["istio-system/canal"], "reviews");
        var b = Vs("front", "b", ["istio-system/canal"], ReviewsFqdn);

        var both = Plan([a, b], [Canal], [CanalService, Reviews]);
        Assert.Equal([ReviewsFqdn], both.Redirects.Select(r => r.Host));
        Assert.Equal([new ObjectKey("front", "b"), new ObjectKey("shop", "a")], Assert.Single(both.Decisions).Claimers);

        var onlyB = Plan([b], [Canal], [CanalService, Reviews]);
        Assert.Equal([ReviewsFqdn], onlyB.Redirects.Select(r => r.Host));
        Assert.Equal([new ObjectKey("front", "b")], Assert.Single(onlyB.Decisions).Claimers);

        var none = Plan([], [Canal], [CanalService, Reviews]);
        Assert.Empty(none.Redirects);
        Assert.Empty(none.Decisions);
    }

    [Fact]
    public void One_bound_virtual_service_is_enough_when_another_names_only_the_mesh()
    {
        var plan = Plan(
            [Vs("shop", "internal", ["mesh"], "reviews"), Vs("shop", "edge", ["istio-system/canal"], "reviews")],
            [Canal], [CanalService, Reviews]);

        var decision = Assert.Single(plan.Decisions);
        Assert.Equal(HostStatus.Redirected, decision.Status);
        Assert.Equal(2, decision.Claimers.Count);
    }

    [Fact]
    public void A_host_whose_service_has_a_port_the_gateway_does_not_open_is_blocked_with_the_port()
    {
        var reviews = Svc("shop", "reviews", [9080, 15021]);
        var plan = Plan([Vs("shop", "reviews", ["istio-system/canal"], "reviews")], [Canal], [CanalService, reviews]);

        Assert.Empty(plan.Redirects);
        var decision = Assert.Single(plan.Decisions);
        Assert.Equal((HostStatus.Blocked, new ObjectKey("istio-system", "canal")), (decision.Status, decision.Gateway));
        Assert.Contains("Service shop/reviews port 15021 is not open on gateway istio-system/canal", decision.Reason);
        Assert.Contains("open: 9080", decision.Reason);
        Assert.Contains("black-hole", decision.Reason);
    }

    [Fact]
    public void A_port_the_gateway_opens_but_its_service_does_not_expose_is_not_served()
    {
        var gateway = Gw("istio-system", "canal", [9080, 9090]);
        var reviews = Svc("shop", "reviews", [9080, 9090]);
        var plan = Plan([Vs("shop", "reviews", ["istio-system/canal"], "reviews")], [gateway], [CanalService, reviews]);

        var decision = Assert.Single(plan.Decisions);
        Assert.Equal(HostStatus.Blocked, decision.Status);
        Assert.Contains("port 9090 is not open", decision.Reason);
    }

    [Fact]
    public void Several_closed_ports_are_all_named()
    {
        var reviews = Svc("shop", "reviews", [9090, 8080, 9080]);
        var plan = Plan([Vs("shop", "reviews", ["istio-system/canal"], "reviews")], [Canal], [CanalService, reviews]);
        Assert.Contains("ports 8080, 9090 are not open", Assert.Single(plan.Decisions).Reason);
    }

    [Fact]
    public void A_host_whose_service_is_unknown_is_redirected_with_a_note()
    {
        var plan = Plan([Vs("shop", "reviews", ["istio-system/canal"], "reviews")], [Canal], [CanalService]);

        var decision = Assert.Single(plan.Decisions);
        Assert.Equal(HostStatus.Redirected, decision.Status);
        Assert.Contains("its Service is not known, so its ports were not checked", decision.Reason);
    }

    [Fact]
    public void A_name_that_is_not_a_service_name_is_redirected_without_a_port_check()
    {
        var plan = Plan([Vs("shop", "web", ["istio-system/canal"], "web-0.reviews.shop.svc.cluster.local")], [Canal], [CanalService, Svc("shop", "reviews", [1])]);

        var decision = Assert.Single(plan.Decisions);
        Assert.Equal(HostStatus.Redirected, decision.Status);
        Assert.DoesNotContain("not known", decision.Reason);
    }

    [Fact]
    public void Two_canal_gateways_claiming_a_host_give_the_first_by_namespace_and_name_and_a_conflict()
    {
        var gatewayA = Gw("istio-system", "canal", [9080]);
        var gatewayB = Gw("canal-system", "canal", [9080]);
        var serviceB = Svc("canal-system", "canal", [9080], CanalWorkload, "10.96.1.50");
        VirtualService[] virtualServices =
        [
            Vs("shop", "via-a", ["istio-system/canal"], "reviews"),
            Vs("shop", "via-b", ["canal-system/canal"], "reviews"),
        ];
        Gateway[] gateways = [gatewayA, gatewayB];
        ClusterService[] services = [CanalService, serviceB, Reviews];

        var plan = Plan(virtualServices, gateways, services);
        var decision = Assert.Single(plan.Decisions);
        Assert.Equal((HostStatus.Redirected, new ObjectKey("canal-system", "canal")), (decision.Status, decision.Gateway));
        Assert.Equal("canal.canal-system.svc.cluster.local", Assert.Single(plan.Redirects).TargetFqdn);
        Assert.Contains("also claimed through istio-system/canal (conflict", decision.Reason);

        // The same objects in any order give the same plan.
        var reversed = Plan([.. virtualServices.Reverse()], [.. gateways.Reverse()], [.. services.Reverse()]);
        Assert.Equal(Describe(plan), Describe(reversed));
    }

    [Fact]
    public void In_a_conflict_a_gateway_that_cannot_serve_the_ports_loses_to_one_that_can()
    {
        var first = Gw("a-system", "canal", [80]);
        var second = Gw("b-system", "canal", [9080]);
        var plan = Plan(
            [Vs("shop", "reviews", ["a-system/canal", "b-system/canal"], "reviews")],
            [first, second], [Reviews]);

        var decision = Assert.Single(plan.Decisions);
        Assert.Equal((HostStatus.Redirected, new ObjectKey("b-system", "canal")), (decision.Status, decision.Gateway));
        Assert.Contains("conflict", decision.Reason);
    }

    [Fact]
    public void The_plan_does_not_depend_on_input_order()
    {
        var gateways = new[] { Canal, Gw("canal-system", "canal", [9080, 9443]), Gw("edge", "canal", [80]) };
        var services = new[] { CanalService, Reviews, Svc("shop", "ratings", [9080, 9443]), Svc("shop", "db", [5432]), Svc("edge", "canal", [80], CanalWorkload) };
        var virtualServices = new[]
        {
            Vs("shop", "a", ["istio-system/canal"], "reviews", "ratings", "db", "*.wild"),
            Vs("shop", "b", ["canal-system/canal", "edge/canal"], "ratings", "unknown"),
            Vs("front", "c", ["mesh"], "web"),
            Vs("front", "d", ["edge/canal"], "reviews.shop", "1.2.3.4"),
        };
        var expected = Describe(Plan(virtualServices, gateways, services));

        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            var plan = Plan(virtualServices.OrderBy(_ => random.Next()), gateways.OrderBy(_ => random.Next()), services.OrderBy(_ => random.Next()));
            Assert.Equal(expected, Describe(plan));
        }
    }

    [Fact]
    public void The_gateway_service_is_the_one_selecting_the_workload_preferring_the_name_canal()
    {
        var other = Svc("istio-system", "aaa-first-by-name", [9080], CanalWorkload, "10.96.0.99");
        var found = CanalGateway.Find([Canal], [other, CanalService], Defaults);
        Assert.Equal("canal.istio-system.svc.cluster.local", found[Canal.Key].ServiceFqdn);
        Assert.Equal(["10.96.0.50"], found[Canal.Key].ClusterIPs);

        var onlyOther = CanalGateway.Find([Canal], [other], Defaults);
        Assert.Equal("aaa-first-by-name.istio-system.svc.cluster.local", onlyOther[Canal.Key].ServiceFqdn);
        Assert.Equal(["10.96.0.99"], onlyOther[Canal.Key].ClusterIPs);
    }

    [Fact]
    public void Without_a_service_selecting_the_workload_the_gateway_service_is_canal_in_the_gateway_namespace()
    {
        var elsewhere = Svc("default", "canal", [9080], CanalWorkload);
        var otherWorkload = Svc("istio-system", "ingress", [9080], new Dictionary<string, string> { ["istio"] = "ingressgateway" });
        var found = CanalGateway.Find([Canal], [elsewhere, otherWorkload], Defaults)[Canal.Key];

        Assert.Equal(new ObjectKey("istio-system", "canal"), found.ServiceKey);
        Assert.Equal("canal.istio-system.svc.cluster.local", found.ServiceFqdn);
        Assert.Null(found.Service);
        Assert.Empty(found.ClusterIPs);

        // Then only the Gateway's own servers decide which ports are open.
        Assert.True(found.Serves(9080));
        Assert.False(found.Serves(9443));
    }

    [Fact]
    public void The_gateway_own_service_is_never_redirected()
    {
        var plan = Plan(
            [Vs("istio-system", "loop", ["canal"], "canal"), Vs("istio-system", "reviews", ["canal"], ReviewsFqdn)],
            [Canal], [CanalService, Reviews]);

        Assert.Equal([ReviewsFqdn], plan.Redirects.Select(r => r.Host));
        var own = plan.Decisions.Single(d => d.Host == "canal.istio-system.svc.cluster.local");
        Assert.Equal(HostStatus.Blocked, own.Status);
        Assert.Contains("own Service", own.Reason);
    }

    [Fact]
    public void The_default_gateway_service_name_is_not_redirected_either()
    {
        var plan = Plan([Vs("shop", "loop", ["istio-system/canal"], "canal.istio-system.svc.cluster.local")], [Canal], []);
        Assert.Empty(plan.Redirects);
        Assert.Equal(HostStatus.Blocked, Assert.Single(plan.Decisions).Status);
    }

    [Fact]
    public void A_custom_gateway_selector_decides_which_gateways_are_canal_gateways()
    {
        var options = new RedirectOptions { GatewayWorkload = RedirectOptions.ParseSelector("istio=canal, tier=edge") };
        var custom = Gw("edge", "router", [9080], new Dictionary<string, string> { ["istio"] = "canal", ["tier"] = "edge" });
        var customService = Svc("edge", "router", [9080], new Dictionary<string, string> { ["istio"] = "canal", ["tier"] = "edge" });

        var plan = RedirectPlanner.Plan(
            [Vs("shop", "a", ["edge/router"], "reviews"), Vs("shop", "b", ["istio-system/canal"], "ratings")],
            [custom, Canal], [customService, CanalService, Reviews], options);

        Assert.Equal([ReviewsFqdn], plan.Redirects.Select(r => r.Host));
        Assert.Equal("router.edge.svc.cluster.local", plan.Redirects[0].TargetFqdn);
        Assert.Equal(HostStatus.Skipped, plan.Decisions.Single(d => d.Host.StartsWith("ratings.")).Status);
    }

    [Theory]
    [InlineData("app=canal-gateway", "app=canal-gateway", true)]
    [InlineData("app=canal-gateway,tier=payments", "app=canal-gateway", true)]
    [InlineData("app=canal-gateway", "app=canal-gateway,zone=a", false)]
    [InlineData("app=canal-gateway", "app=other", false)]
    [InlineData("tier=payments", "app=canal-gateway", false)]
    public void A_gateway_is_canal_when_its_selector_contains_the_canal_workload_labels(string selector, string workload, bool canal)
    {
        var options = new RedirectOptions { GatewayWorkload = RedirectOptions.ParseSelector(workload) };
        Assert.Equal(canal, CanalGateway.IsCanal(Canal with { Selector = RedirectOptions.ParseSelector(selector) }, options));
    }

    [Theory]
    [InlineData("app")]
    [InlineData("=x")]
    [InlineData("")]
    [InlineData(" , ")]
    public void A_malformed_gateway_selector_says_how_to_write_one(string selector)
    {
        var error = Assert.Throws<FormatException>(() => RedirectOptions.ParseSelector(selector));
        Assert.Contains("key=value", error.Message);
    }

    [Fact]
    public void Hosts_are_completed_in_the_configured_cluster_domain()
    {
        var options = new RedirectOptions { ClusterDomain = "corp.example" };
        var plan = RedirectPlanner.Plan(
            [Vs("shop", "reviews", ["istio-system/canal"], "reviews", "ratings.shop.svc.cluster.local")],
            [Canal], [CanalService, Reviews], options);

        var redirect = Assert.Single(plan.Redirects);
        Assert.Equal(("reviews.shop.svc.corp.example", "canal.istio-system.svc.corp.example"), (redirect.Host, redirect.TargetFqdn));
        var outside = plan.Decisions.Single(d => d.Status == HostStatus.Skipped);
        Assert.Contains("outside the cluster domain corp.example", outside.Reason);
    }

    [Fact]
    public void Unusable_hosts_are_skipped_with_the_reason_and_where_they_were_written()
    {
        var plan = Plan([Vs("shop", "reviews", ["istio-system/canal"], "reviews", "x\n}\nforward . 1.2.3.4", "*.shop.svc.cluster.local")], [Canal], [CanalService, Reviews]);

        Assert.Equal([ReviewsFqdn], plan.Redirects.Select(r => r.Host));
        var skipped = plan.Decisions.Where(d => d.Status == HostStatus.Skipped).ToList();
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, d => Assert.Contains("(at spec.http[", d.Reason));
        Assert.All(skipped, d => Assert.Equal([new ObjectKey("shop", "reviews")], d.Claimers));
        // Each decision prints as one line, whatever the host contains.
        Assert.All(plan.Decisions, d => Assert.DoesNotContain('\n', d.ToString()));
    }

    [Fact]
    public void A_decision_prints_on_one_line_whatever_the_names_in_a_local_manifest_contain()
    {
        // No API server validated these names.
        var plan = Plan(
            [Vs("shop", "evil\nforward . 1.2.3.4", ["istio-system/canal"], "reviews"), Vs("shop", "other", ["gone\r\n}"], "ratings")],
            [Canal], [CanalService, Reviews]);

        Assert.Equal(2, plan.Decisions.Count);
        Assert.All(plan.Decisions, d => Assert.DoesNotMatch("[\r\n]", d.ToString()));
    }

    [Fact]
    public void A_later_copy_of_the_same_virtual_service_replaces_the_earlier()
    {
        var plan = Plan(
            [Vs("shop", "reviews", ["istio-system/canal"], "reviews"), Vs("shop", "reviews", ["istio-system/canal"], "ratings")],
            [Canal], [CanalService]);
        Assert.Equal(["ratings.shop.svc.cluster.local"], plan.Redirects.Select(r => r.Host));
    }

    private static RedirectPlan Plan(IEnumerable<VirtualService> virtualServices, IEnumerable<Gateway> gateways, IEnumerable<ClusterService> services) =>
        RedirectPlanner.Plan(virtualServices, gateways, services, Defaults);

    private static string Describe(RedirectPlan plan) =>
        string.Join("\n", plan.Redirects.Select(r => $"{r.Host} {r.TargetFqdn} {string.Join(",", r.TargetIPs)}").Concat(plan.Decisions.Select(d => d.ToString())));

    private static VirtualService Vs(string ns, string name, string[] gateways, params string[] hosts) =>
        IstioObjects.VirtualService(new ObjectKey(ns, name), gateways, hosts);

    private static Gateway Gw(string ns, string name, int[] ports, Dictionary<string, string>? selector = null) => new(
        new ObjectKey(ns, name), selector ?? CanalWorkload, [.. ports.Select(p => new GatewayServer(p, "HTTP", ["*"]))]);

    private static ClusterService Svc(string ns, string name, int[] ports, Dictionary<string, string>? selector = null, params string[] clusterIPs) => new(
        new ObjectKey(ns, name), selector ?? new Dictionary<string, string> { ["app"] = name }, [.. ports.Select(p => new ServicePort(p, null, "TCP"))], clusterIPs);
}
