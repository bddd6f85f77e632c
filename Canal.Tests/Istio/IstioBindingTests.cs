using Canal.Istio;
using Canal.Reading;

namespace Canal.Tests.Istio;

/// <summary>
/// The binding contract of docs/architecture.md, one rule per test, written as the Istio manifests a user
/// would apply (the shapes of Istio's reference examples). Each asserts what the user sees: redirected or not, and why.
/// </summary>
public sealed class IstioBindingTests
{
    private const string CanalGateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: { name: canal, namespace: istio-system }
        spec:
          selector: { app: canal-gateway }
          servers:
            - port: { number: 9080, name: http, protocol: HTTP }
              hosts: ["*"]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: canal, namespace: istio-system }
        spec:
          selector: { app: canal-gateway }
          clusterIP: 10.96.0.50
          ports: [ { name: http, port: 9080 } ]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: reviews, namespace: shop }
        spec:
          selector: { app: reviews }
          ports: [ { name: http, port: 9080 } ]
        ---

        """;

    private const string Reviews = "reviews.shop.svc.cluster.local";

    private static RedirectPlan Plan(string yaml, RedirectOptions? options = null)
    {
        var manifests = ManifestReader.Read(yaml, "test.yaml");
        Assert.Empty(manifests.Errors);
        return RedirectPlanner.Plan(manifests.VirtualServices, manifests.Gateways, manifests.Services, options ?? new RedirectOptions());
    }

    private static HostDecision Decision(RedirectPlan plan, string host = Reviews) => plan.Decisions.Single(d => d.Host == host);

    /// <summary>The reviews host was left alone with <paramref name="status"/>, and the reason says <paramref name="why"/>.</summary>
    private static void AssertDecided(RedirectPlan plan, HostStatus status, string why)
    {
        var decision = Decision(plan);
        Assert.Equal(status, decision.Status);
        Assert.Contains(why, decision.Reason);
    }

    private static string ReviewsVs(string spec, string ns = "shop") => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: { name: reviews, namespace: {{ns}} }
        spec:
        {{spec}}
        """;

    [Fact]
    public void A_gateway_whose_selector_adds_labels_to_the_canal_workload_is_a_canal_gateway_and_points_at_its_own_service()
    {
        var plan = Plan("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: { name: payments, namespace: istio-system }
            spec:
              selector: { app: canal-gateway, tier: payments }
              servers: [ { port: { number: 9080, name: http, protocol: HTTP }, hosts: ["*"] } ]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: canal-payments, namespace: istio-system }
            spec:
              selector: { app: canal-gateway, tier: payments }
              clusterIP: 10.96.0.60
              ports: [ { port: 9080 } ]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: reviews, namespace: shop }
            spec: { selector: { app: reviews }, ports: [ { port: 9080 } ] }
            ---

            """ + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/payments]
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """));

        var redirect = Assert.Single(plan.Redirects);
        Assert.Equal((Reviews, "canal-payments.istio-system.svc.cluster.local"), (redirect.Host, redirect.TargetFqdn));
    }

    [Fact]
    public void A_gateway_for_a_subset_of_canal_pods_is_not_served_through_a_service_that_reaches_all_of_them()
    {
        // Service canal also sends to canal pods outside tier=payments, which do not carry the payments Gateway's routes.
        var plan = Plan(CanalGateway + """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: { name: payments, namespace: istio-system }
            spec:
              selector: { app: canal-gateway, tier: payments }
              servers: [ { port: { number: 9080, name: http, protocol: HTTP }, hosts: ["*"] } ]
            ---

            """ + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/payments]
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """));

        Assert.Empty(plan.Redirects);
        AssertDecided(plan, HostStatus.Blocked, "no Service in namespace istio-system sends only to the pods of gateway istio-system/payments");
    }

    [Theory]
    [InlineData("httpbin.org", "httpbin.org")]
    [InlineData("payments.stripe", "payments.stripe")]
    [InlineData("reviews.shop", "reviews.shop")]
    public void A_destination_with_dots_is_taken_as_written_and_never_completed_into_the_cluster_domain(string destination, string reported)
    {
        var plan = Plan(CanalGateway + ReviewsVs($$"""
              hosts: ["*"]
              gateways: [istio-system/canal]
              http: [ { route: [ { destination: { host: {{destination}} } } ] } ]
            """));

        Assert.Empty(plan.Redirects);
        var decision = Assert.Single(plan.Decisions);
        Assert.Equal((reported, HostStatus.Skipped), (decision.Host, decision.Status));
        Assert.Contains("Istio takes a name with dots as written", decision.Reason);
    }

    [Fact]
    public void A_route_whose_match_names_only_the_mesh_does_not_redirect_its_destination()
    {
        var plan = Plan(CanalGateway + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/canal, mesh]
              http:
                - match: [ { gateways: [mesh] } ]
                  route: [ { destination: { host: reviews } } ]
            """));

        Assert.Empty(plan.Redirects);
        AssertDecided(plan, HostStatus.Skipped, "matches apply only elsewhere");
    }

    [Theory]
    [InlineData("[ { gateways: [istio-system/canal] } ]")]
    [InlineData("[ { gateways: [mesh] }, { gateways: [istio-system/canal] } ]")]
    [InlineData("[ { uri: { prefix: /v1 } } ]")]
    public void A_route_whose_match_applies_to_the_canal_gateway_redirects(string match)
    {
        var plan = Plan(CanalGateway + ReviewsVs($$"""
              hosts: [reviews]
              gateways: [istio-system/canal, mesh]
              http:
                - match: {{match}}
                  route: [ { destination: { host: reviews } } ]
            """));

        Assert.Equal([Reviews], plan.Redirects.Select(r => r.Host));
    }

    [Fact]
    public void Match_gateways_cannot_bind_a_gateway_the_virtual_service_does_not_name()
    {
        var plan = Plan(CanalGateway + ReviewsVs("""
              hosts: [reviews]
              gateways: [mesh]
              http:
                - match: [ { gateways: [istio-system/canal] } ]
                  route: [ { destination: { host: reviews } } ]
            """));

        Assert.Empty(plan.Redirects);
    }

    [Fact]
    public void A_match_for_client_workloads_does_not_count_for_the_gateway()
    {
        var plan = Plan(CanalGateway + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/canal]
              http:
                - match: [ { sourceLabels: { app: frontend } } ]
                  route: [ { destination: { host: reviews } } ]
            """));

        Assert.Equal(HostStatus.Skipped, Decision(plan).Status);
    }

    [Fact]
    public void A_route_limited_to_another_port_blocks_a_host_whose_service_uses_this_one()
    {
        var plan = Plan(CanalGateway + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/canal]
              http:
                - match: [ { port: 8080 } ]
                  route: [ { destination: { host: reviews } } ]
            """));

        AssertDecided(plan, HostStatus.Blocked, "apply on gateway istio-system/canal only on port 8080");
    }

    [Theory]
    [InlineData("[\".\"]", false)]
    [InlineData("[\"~\"]", false)]
    [InlineData("[istio-system]", true)]
    [InlineData("[\"*\"]", true)]
    [InlineData("[\".\", istio-system]", true)]
    public void A_virtual_service_is_redirected_only_when_it_is_exported_to_the_gateway_namespace(string exportTo, bool redirected)
    {
        var plan = Plan(CanalGateway + ReviewsVs($$"""
              hosts: [reviews]
              gateways: [istio-system/canal]
              exportTo: {{exportTo}}
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """));

        Assert.Equal(redirected, plan.Redirects.Count == 1);
        if (!redirected)
            Assert.Contains("is not exported to namespace istio-system", Decision(plan).Reason);
    }

    [Fact]
    public void Export_to_the_own_namespace_is_enough_when_the_gateway_lives_there()
    {
        var plan = Plan(CanalGateway + ReviewsVs("""
              hosts: [reviews.shop.svc.cluster.local]
              gateways: [canal]
              exportTo: ["."]
              http: [ { route: [ { destination: { host: reviews.shop.svc.cluster.local } } ] } ]
            """, ns: "istio-system"));

        Assert.Equal([Reviews], plan.Redirects.Select(r => r.Host));
    }

    [Fact]
    public void The_mesh_wide_default_export_applies_to_virtual_services_without_export_to()
    {
        var vs = CanalGateway + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/canal]
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """);

        Assert.Single(Plan(vs).Redirects);
        Assert.Empty(Plan(vs, new RedirectOptions { DefaultExportTo = ["."] }).Redirects);
    }

    [Theory]
    [InlineData("shop/*.shop.svc.cluster.local", "shop", true)]
    [InlineData("shop/*.shop.svc.cluster.local", "front", false)]
    [InlineData("*/reviews.shop.svc.cluster.local", "front", true)]
    [InlineData("reviews.shop.svc.cluster.local", "front", true)]
    [InlineData("./*", "shop", false)]
    [InlineData("./*", "istio-system", true)]
    [InlineData("*/foo.com", "shop", false)]
    [InlineData("*/*.com", "shop", false)]
    [InlineData("*/*", "shop", true)]
    public void A_gateway_server_admits_a_virtual_service_by_its_namespace_and_host(string serverHost, string vsNamespace, bool redirected)
    {
        var plan = Plan(CanalGateway.Replace("hosts: [\"*\"]", $"hosts: [\"{serverHost}\"]") + ReviewsVs("""
              hosts: [reviews.shop.svc.cluster.local]
              gateways: [istio-system/canal]
              http: [ { route: [ { destination: { host: reviews.shop.svc.cluster.local } } ] } ]
            """, ns: vsNamespace));

        Assert.Equal(redirected, plan.Redirects.Count == 1);
        if (!redirected)
            Assert.Contains($"no server of gateway istio-system/canal on port 9080 admits it from namespace {vsNamespace}", Decision(plan).Reason);
    }

    [Fact]
    public void A_destination_the_virtual_service_hosts_do_not_cover_is_not_redirected()
    {
        // The gateway matches requests by the VirtualService's hosts: a client calling reviews directly would get a 404.
        var plan = Plan(CanalGateway + ReviewsVs("""
              hosts: [shop.example.com]
              gateways: [istio-system/canal]
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """));

        AssertDecided(plan, HostStatus.Skipped, "has no host that covers it (hosts: shop.example.com)");
    }

    [Theory]
    [InlineData("[\"*.shop.svc.cluster.local\"]")]
    [InlineData("[\"*\"]")]
    [InlineData("[reviews]")]
    public void Wildcard_and_short_virtual_service_hosts_cover_their_destinations(string hosts)
    {
        var plan = Plan(CanalGateway + ReviewsVs($$"""
              hosts: {{hosts}}
              gateways: [istio-system/canal]
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """));

        Assert.Single(plan.Redirects);
    }

    [Theory]
    [InlineData("protocol: HTTPS }\n      tls: { mode: SIMPLE, credentialName: shop-cert }", "HTTPS (tls SIMPLE)")]
    [InlineData("protocol: HTTP }\n      tls: { httpsRedirect: true }", "HTTP redirecting to HTTPS")]
    [InlineData("protocol: TCP }", "TCP")]
    public void A_server_that_would_not_answer_plain_http_clients_blocks_the_host(string server, string described)
    {
        var gateway = CanalGateway.Replace("protocol: HTTP }", server);
        var plan = Plan(gateway + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/canal]
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """));

        AssertDecided(plan, HostStatus.Blocked, $"serves port 9080 as {described}");
    }

    [Fact]
    public void Tcp_and_tls_routes_count_on_servers_that_carry_them()
    {
        var gateway = CanalGateway.Replace(
            "- port: { number: 9080, name: http, protocol: HTTP }\n      hosts: [\"*\"]",
            "- port: { number: 5432, name: tcp, protocol: TCP }\n      hosts: [\"*\"]\n    - port: { number: 8443, name: tls, protocol: TLS }\n      hosts: [\"*\"]\n      tls: { mode: PASSTHROUGH }")
            .Replace("ports: [ { name: http, port: 9080 } ]\n---\napiVersion: v1\nkind: Service\nmetadata: { name: reviews", "ports: [ { port: 5432 }, { port: 8443 } ]\n---\napiVersion: v1\nkind: Service\nmetadata: { name: reviews");
        var plan = Plan(gateway + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: data, namespace: shop }
            spec:
              hosts: [db, secure]
              gateways: [istio-system/canal]
              tcp: [ { match: [ { port: 5432 } ], route: [ { destination: { host: db } } ] } ]
              tls:
                - match: [ { port: 8443, sniHosts: [secure.shop.svc.cluster.local] } ]
                  route: [ { destination: { host: secure } } ]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: db, namespace: shop }
            spec: { ports: [ { port: 5432 } ] }
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: secure, namespace: shop }
            spec: { ports: [ { port: 8443 } ] }
            """);

        Assert.Equal(["db.shop.svc.cluster.local", "secure.shop.svc.cluster.local"], plan.Redirects.Select(r => r.Host));
    }

    [Fact]
    public void Two_hosts_on_one_tcp_port_of_a_gateway_are_blocked_since_it_forwards_that_port_by_one_route()
    {
        var gateway = CanalGateway.Replace("protocol: HTTP }", "protocol: TCP }");
        var plan = Plan(gateway + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews, namespace: shop }
            spec:
              hosts: [reviews]
              gateways: [istio-system/canal]
              tcp: [ { route: [ { destination: { host: reviews } } ] } ]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: ratings, namespace: shop }
            spec:
              hosts: [ratings]
              gateways: [istio-system/canal]
              tcp: [ { route: [ { destination: { host: ratings } } ] } ]
            """);

        Assert.Empty(plan.Redirects);
        Assert.Contains("forwards all TCP traffic on port 9080 by one route, and tcp routes send ratings.shop.svc.cluster.local there too", Decision(plan).Reason);

        var alone = Plan(gateway + ReviewsVs("""
              hosts: [reviews]
              gateways: [istio-system/canal]
              tcp: [ { route: [ { destination: { host: reviews } } ] } ]
            """));
        Assert.Equal([Reviews], alone.Redirects.Select(r => r.Host));
    }

    [Fact]
    public void A_tls_route_counts_only_for_the_names_its_sni_hosts_cover()
    {
        var gateway = CanalGateway.Replace("protocol: HTTP }", "protocol: TLS }\n      tls: { mode: PASSTHROUGH }");
        var plan = Plan(gateway + ReviewsVs("""
              hosts: ["*.shop.svc.cluster.local"]
              gateways: [istio-system/canal]
              tls:
                - match: [ { sniHosts: [other.shop.svc.cluster.local] } ]
                  route: [ { destination: { host: reviews } } ]
            """));

        AssertDecided(plan, HostStatus.Skipped, "sniHost");
    }

    [Theory]
    [InlineData("./canal")]
    [InlineData("canal.istio-system.svc.cluster.local")]
    [InlineData("istio-system/canal")]
    public void Every_form_of_gateway_reference_istio_accepts_binds(string reference)
    {
        var plan = Plan(CanalGateway + ReviewsVs($$"""
              hosts: [reviews.shop.svc.cluster.local]
              gateways: ["{{reference}}"]
              http: [ { route: [ { destination: { host: reviews.shop.svc.cluster.local } } ] } ]
            """, ns: "istio-system"));

        Assert.Single(plan.Redirects);
    }

    private const string Root = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: { name: root, namespace: front }
        spec:
          hosts: [reviews.shop.svc.cluster.local]
          gateways: [istio-system/canal]
          http:
            - match: [ { uri: { prefix: /reviews } } ]
              delegate: { name: reviews-routes, namespace: shop }
        ---

        """;

    [Fact]
    public void A_delegate_is_served_under_its_root_hosts_gateways_and_namespace()
    {
        var plan = Plan(CanalGateway + Root + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews-routes, namespace: shop }
            spec:
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """);

        var decision = Decision(plan);
        Assert.Equal(HostStatus.Redirected, decision.Status);
        Assert.Equal([new ObjectKey("shop", "reviews-routes")], decision.Claimers);

        // The server admits the root's namespace (front), not the delegate's.
        var onlyShop = Plan(CanalGateway.Replace("hosts: [\"*\"]", "hosts: [\"shop/*\"]") + Root + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews-routes, namespace: shop }
            spec:
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """);
        Assert.Contains("admits it from namespace front", Decision(onlyShop).Reason);
    }

    [Fact]
    public void A_delegate_not_exported_to_its_root_namespace_is_not_served()
    {
        var plan = Plan(CanalGateway + Root + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews-routes, namespace: shop }
            spec:
              exportTo: ["."]
              http: [ { route: [ { destination: { host: reviews } } ] } ]
            """);

        Assert.Empty(plan.Redirects);
        Assert.Contains("not exported to namespace front of its root front/root", Decision(plan).Reason);
    }

    [Fact]
    public void A_delegate_route_for_another_gateway_than_its_root_route_is_ignored_as_istio_does()
    {
        var plan = Plan(CanalGateway + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: root, namespace: front }
            spec:
              hosts: [reviews.shop.svc.cluster.local]
              gateways: [istio-system/canal, mesh]
              http:
                - match: [ { gateways: [istio-system/canal] } ]
                  delegate: { name: reviews-routes, namespace: shop }
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews-routes, namespace: shop }
            spec:
              http:
                - match: [ { gateways: [mesh] } ]
                  route: [ { destination: { host: reviews } } ]
            """);

        Assert.Empty(plan.Redirects);
        Assert.Contains("conflicts with every match", Decision(plan).Reason);
    }
}
