using Canal.Istio;
using Canal.Reading;

namespace Canal.Tests.Istio;

/// <summary>
/// What the canal gateway does with every request for a name, by Istio's own route generation: the virtual host of the most
/// specific host, the routes of every VirtualService for it merged oldest first with catch-alls last, the first match winning,
/// weights, redirect and directResponse, delegates; and the Gateway API's translated rules.
/// </summary>
public sealed class CoverageTests
{
    private const string HttpServer = """{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }""";

    /// <summary>The canal Gateway with <paramref name="server"/>, and its Service on <paramref name="port"/>.</summary>
    private static string Gateway(string server = HttpServer, int port = 80) => $$"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: { name: canal, namespace: istio-system }
        spec:
          selector: { app: canal-gateway }
          servers: [ {{server}} ]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: canal, namespace: istio-system }
        spec: { selector: { app: canal-gateway }, ports: [ { port: {{port}} } ], clusterIP: 10.96.0.50 }
        """;

    private static string Services(params string[] names) => ServicesOn(80, names);

    private static string ServicesOn(int port, params string[] names) => string.Concat(names.Select(n => $$"""


        ---
        apiVersion: v1
        kind: Service
        metadata: { name: {{n}}, namespace: default }
        spec: { ports: [ { port: {{port}} } ] }
        """));

    private static HostDecision Decision(RedirectPlan plan, string service) =>
        plan.Decisions.Single(d => d.Host == $"{service}.default.svc.cluster.local");

    private static RedirectPlan Plan(string yaml, RedirectOptions? options = null)
    {
        var manifests = ManifestReader.Read(yaml, "test.yaml");
        Assert.True(manifests.Errors.Count == 0, string.Join("\n", manifests.Errors) + "\n" + yaml);
        options ??= new RedirectOptions();
        var plannable = manifests.Plannable(options);
        Assert.Empty(plannable.Problems);
        return RedirectPlanner.Plan(plannable.VirtualServices, plannable.Gateways, manifests.Services, options);
    }

    private static string Vs(string name, string hosts, string routes, string created = "2026-01-01T00:00:00Z", string kind = "http") => $"""

        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{"} name: {name}, namespace: default, creationTimestamp: "{created}" {"}"}
        spec:
          hosts: [{hosts}]
          gateways: [istio-system/canal]
          {kind}:
        {routes}
        """;

    [Fact]
    public void A_route_without_matches_to_one_service_carries_its_traffic_in_full()
    {
        var plan = Plan(Gateway() + Services("helloworld") + Vs("helloworld", "helloworld", "    - route: [ { destination: { host: helloworld } } ]"));

        var decision = Decision(plan, "helloworld");
        Assert.Equal(HostStatus.Redirected, decision.Status);
        Assert.Equal(CoverageKind.Full, decision.Coverage!.Kind);
        Assert.Equal("full: every request is routed to it", decision.Coverage.ToString());
    }

    [Fact]
    public void A_catch_all_prefix_or_regex_match_is_full_but_an_exact_slash_is_partial()
    {
        foreach (var uri in new[] { "{ prefix: / }", "{ regex: \".*\" }" })
        {
            var plan = Plan(Gateway() + Services("helloworld") + Vs("helloworld", "helloworld", $"    - match: [ {{ uri: {uri} }} ]\n      route: [ {{ destination: {{ host: helloworld }} }} ]"));
            Assert.Equal(CoverageKind.Full, Decision(plan, "helloworld").Coverage!.Kind);
        }
        var exact = Plan(Gateway() + Services("helloworld") + Vs("helloworld", "helloworld", "    - match: [ { uri: { exact: / } } ]\n      route: [ { destination: { host: helloworld } } ]"));
        Assert.Equal(CoverageKind.Partial, Decision(exact, "helloworld").Coverage!.Kind);
    }

    [Fact]
    public void Only_some_paths_routed_is_partial_and_says_which_and_full_coverage_refuses_it()
    {
        var yaml = Gateway() + Services("helloworld") + Vs("helloworld", "helloworld", "    - match: [ { uri: { exact: /hello } } ]\n      route: [ { destination: { host: helloworld, port: { number: 5000 } } } ]");

        var decision = Decision(Plan(yaml), "helloworld");
        Assert.Equal(HostStatus.Redirected, decision.Status);
        Assert.Equal("partial: only uri exact /hello is routed; other requests get 404", decision.Coverage!.ToString());

        var strict = Decision(Plan(yaml, new RedirectOptions { Coverage = CoveragePolicy.Full }), "helloworld");
        Assert.Equal(HostStatus.Blocked, strict.Status);
        Assert.Contains("partial: only uri exact /hello is routed", strict.Reason);
        Assert.Contains("--coverage full", strict.Reason);
    }

    [Fact]
    public void A_destination_of_weight_zero_is_never_redirected_and_its_sibling_is_full()
    {
        var plan = Plan(Gateway() + Services("helloworld", "helloworld-canary") + Vs("helloworld", "helloworld, helloworld-canary",
            "    - route: [ { destination: { host: helloworld }, weight: 100 }, { destination: { host: helloworld-canary }, weight: 0 } ]"));

        var canary = Decision(plan, "helloworld-canary");
        Assert.Equal(HostStatus.Blocked, canary.Status);
        Assert.Equal(CoverageKind.None, canary.Coverage!.Kind);
        Assert.Contains("100 % to helloworld.default.svc.cluster.local", canary.Reason);
        Assert.Equal(CoverageKind.Full, Decision(plan, "helloworld").Coverage!.Kind);
        Assert.Equal(["helloworld.default.svc.cluster.local"], plan.Redirects.Select(r => r.Host));
    }

    [Fact]
    public void A_lone_destination_takes_every_request_whatever_its_weight()
    {
        var plan = Plan(Gateway() + Services("helloworld") + Vs("helloworld", "helloworld", "    - route: [ { destination: { host: helloworld }, weight: 0 } ]"));
        Assert.Equal(CoverageKind.Full, Decision(plan, "helloworld").Coverage!.Kind);
    }

    [Fact]
    public void A_split_between_two_services_is_shared_with_the_other_weights()
    {
        var plan = Plan(Gateway() + Services("reviews-v1", "reviews-v2") + Vs("reviews", "\"*\"",
            "    - route: [ { destination: { host: reviews-v1 }, weight: 50 }, { destination: { host: reviews-v2 }, weight: 50 } ]"));

        var v1 = Decision(plan, "reviews-v1");
        Assert.Equal(HostStatus.Redirected, v1.Status);
        Assert.Equal("shared: 50 % to reviews-v2.default.svc.cluster.local", v1.Coverage!.ToString());
        Assert.Equal("shared: 50 % to reviews-v1.default.svc.cluster.local", Decision(plan, "reviews-v2").Coverage!.ToString());
    }

    [Fact]
    public void A_virtual_service_naming_the_host_exactly_takes_its_requests_from_one_for_every_host()
    {
        var split = Vs("split", "\"*\"", "    - route: [ { destination: { host: reviews-v1 }, weight: 50 }, { destination: { host: reviews-v2 }, weight: 50 } ]");

        var pinned = Plan(Gateway() + Services("reviews-v1", "reviews-v2") + split + Vs("pinned", "reviews-v1", "    - route: [ { destination: { host: reviews-v1 } } ]", "2026-06-01T00:00:00Z"));
        Assert.Equal(CoverageKind.Full, Decision(pinned, "reviews-v1").Coverage!.Kind);
        Assert.Equal(CoverageKind.Shared, Decision(pinned, "reviews-v2").Coverage!.Kind);

        // The exact host's VirtualService routes it elsewhere: none of reviews-v1's requests reach it through the gateway.
        var elsewhere = Plan(Gateway() + Services("reviews-v1", "reviews-v2", "ratings") + split + Vs("moved", "reviews-v1", "    - route: [ { destination: { host: ratings } } ]"));
        var v1 = Decision(elsewhere, "reviews-v1");
        Assert.Equal(HostStatus.Blocked, v1.Status);
        Assert.Equal(CoverageKind.None, v1.Coverage!.Kind);
        Assert.Contains("100 % to ratings.default.svc.cluster.local", v1.Reason);
    }

    [Fact]
    public void A_longer_wildcard_wins_over_a_shorter_one()
    {
        var plan = Plan(Gateway() + Services("a", "b")
            + Vs("all", "\"*\"", "    - route: [ { destination: { host: a } } ]")
            + Vs("svc", "\"*.default.svc.cluster.local\"", "    - route: [ { destination: { host: b } } ]"));

        Assert.Equal(CoverageKind.None, Decision(plan, "a").Coverage!.Kind);
        Assert.Equal(CoverageKind.Full, Decision(plan, "b").Coverage!.Kind);
    }

    [Fact]
    public void The_first_matching_route_wins_and_routes_after_a_catch_all_are_never_reached()
    {
        var plan = Plan(Gateway() + Services("front", "api", "legacy") + Vs("front", "\"*\"", """
                - match: [ { uri: { prefix: /api } }, { headers: { x-api: { exact: "1" } } } ]
                  route: [ { destination: { host: api } } ]
                - route: [ { destination: { host: front } } ]
                - match: [ { uri: { prefix: /legacy } } ]
                  route: [ { destination: { host: legacy } } ]
            """));

        // Requests for api that the first route does not take go to front.
        Assert.Equal("shared: other requests: 100 % to front.default.svc.cluster.local", Decision(plan, "api").Coverage!.ToString());
        Assert.Equal("shared: uri prefix /api or header x-api exact 1: 100 % to api.default.svc.cluster.local", Decision(plan, "front").Coverage!.ToString());
        Assert.Equal(CoverageKind.None, Decision(plan, "legacy").Coverage!.Kind);
    }

    [Fact]
    public void Routes_of_virtual_services_for_one_host_merge_oldest_first_with_catch_alls_last()
    {
        var plan = Plan(Gateway() + Services("shop", "api")
            + Vs("newer", "shop", "    - match: [ { uri: { prefix: /api } } ]\n      route: [ { destination: { host: api } } ]", "2026-03-01T00:00:00Z")
            + Vs("older", "shop", "    - route: [ { destination: { host: shop } } ]", "2026-01-01T00:00:00Z"));

        var shop = Decision(plan, "shop").Coverage!;
        Assert.Equal("shared: uri prefix /api: 100 % to api.default.svc.cluster.local", shop.ToString());
        Assert.Equal(["default/newer spec.http[0]: uri prefix /api -> 100 % to api.default.svc.cluster.local", "default/older spec.http[0]: every request -> 100 % to shop.default.svc.cluster.local"], shop.Routes);
    }

    [Fact]
    public void Redirects_and_direct_responses_are_answered_by_the_gateway_and_mirrors_do_not_count()
    {
        var plan = Plan(Gateway() + Services("shop", "shadow", "gone") + Vs("shop", "shop", """
                - match: [ { uri: { prefix: /old } } ]
                  redirect: { uri: /new }
                - route: [ { destination: { host: shop } } ]
                  mirror: { host: shadow }
            """) + Vs("gone", "gone", "    - directResponse: { status: 410 }\n    - route: [ { destination: { host: gone } } ]"));

        Assert.Equal("shared: uri prefix /old: the gateway answers 301 redirecting to /new", Decision(plan, "shop").Coverage!.ToString());
        Assert.DoesNotContain(plan.Decisions, d => d.Host.StartsWith("shadow", StringComparison.Ordinal));
        var gone = Decision(plan, "gone");
        Assert.Equal(HostStatus.Blocked, gone.Status);
        Assert.Contains("the gateway answers 410 itself (directResponse)", gone.Reason);
    }

    [Fact]
    public void A_delegate_routes_in_place_of_the_root_route_that_delegates_to_it()
    {
        var plan = Plan(Gateway() + Services("shop", "reviews") + Vs("root", "shop, reviews", """
                - match: [ { uri: { prefix: /reviews } } ]
                  delegate: { name: reviews-routes }
                - route: [ { destination: { host: shop } } ]
            """) + """

            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews-routes, namespace: default }
            spec:
              http:
                - match: [ { uri: { prefix: /reviews/v1 } } ]
                  route: [ { destination: { host: reviews } } ]
            """);

        var reviews = Decision(plan, "reviews");
        Assert.Equal(HostStatus.Redirected, reviews.Status);
        Assert.Equal("shared: other requests: 100 % to shop.default.svc.cluster.local", reviews.Coverage!.ToString());
        Assert.Equal(
            ["default/reviews-routes spec.http[0]: uri prefix /reviews, uri prefix /reviews/v1 -> 100 % to reviews.default.svc.cluster.local", "default/root spec.http[1]: every request -> 100 % to shop.default.svc.cluster.local"],
            reviews.Coverage.Routes);
        Assert.Equal("shared: uri prefix /reviews, uri prefix /reviews/v1: 100 % to reviews.default.svc.cluster.local", Decision(plan, "shop").Coverage!.ToString());
    }

    [Fact]
    public void A_route_whose_matches_name_another_gateway_or_port_is_not_on_this_one()
    {
        var plan = Plan(Gateway() + Services("shop", "beta") + Vs("shop", "shop", """
                - match: [ { gateways: [istio-system/other], uri: { prefix: /beta } }, { port: 8080 } ]
                  route: [ { destination: { host: beta } } ]
                - route: [ { destination: { host: shop } } ]
            """));

        Assert.Equal(CoverageKind.Full, Decision(plan, "shop").Coverage!.Kind);
    }

    [Fact]
    public void Tcp_traffic_goes_by_the_first_route_and_its_weights()
    {
        var plan = Plan(Gateway("""{ port: { number: 5432, name: pg, protocol: TCP }, hosts: ["*"] }""", 5432) + ServicesOn(5432, "db") + Vs("db", "db",
            "    - route: [ { destination: { host: db }, weight: 80 }, { destination: { host: db-replica.other.svc.cluster.local }, weight: 20 } ]", kind: "tcp"));

        Assert.Equal("shared: 20 % to db-replica.other.svc.cluster.local", Decision(plan, "db").Coverage!.ToString());
    }

    [Fact]
    public void A_tls_server_without_a_mode_passes_connections_through_as_istio_defaults_it()
    {
        var plan = Plan(Gateway("""{ port: { number: 443, name: tls, protocol: TLS }, hosts: ["*"], tls: {} }""", 443) + ServicesOn(443, "secure") + Vs("secure", "secure", """
                - match: [ { sniHosts: [secure.default.svc.cluster.local] } ]
                  route: [ { destination: { host: secure } } ]
            """, kind: "tls"));

        var secure = Decision(plan, "secure");
        Assert.Equal(HostStatus.Redirected, secure.Status);
        Assert.Equal(CoverageKind.Full, secure.Coverage!.Kind);
    }

    private const string ApiGateway = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: { name: mesh, namespace: default }
        spec:
          gatewayClassName: canal
          listeners: [ { name: http, port: 80, protocol: HTTP } ]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: mesh-canal, namespace: default }
        spec: { ports: [ { port: 80 } ] }
        """;

    private static string HttpRoute(string name, string hostnames, string rules, string created = "2026-01-01T00:00:00Z") => $"""

        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {"{"} name: {name}, namespace: default, creationTimestamp: "{created}" {"}"}
        spec:
          parentRefs: [ {"{"} name: mesh {"}"} ]
          hostnames: [{hostnames}]
          rules:
        {rules}
        """;

    [Fact]
    public void A_gateway_api_rule_whose_backends_all_weigh_zero_answers_500_and_redirects_none()
    {
        var plan = Plan(ApiGateway + Services("a", "b", "c") + HttpRoute("zero", "", """
                - matches: [ { path: { type: PathPrefix, value: /get } } ]
                  backendRefs: [ { name: a, port: 80, weight: 0 } ]
                - backendRefs: [ { name: b, port: 80, weight: 2 }, { name: c, port: 80, weight: 0 } ]
            """));

        var a = Decision(plan, "a");
        Assert.Equal(HostStatus.Blocked, a.Status);
        Assert.Contains("answers 500 itself", a.Reason);
        Assert.Equal(CoverageKind.None, Decision(plan, "c").Coverage!.Kind);
        Assert.Equal("shared: uri prefix /get: the gateway answers 500 itself: no backend of the rule has a weight above 0", Decision(plan, "b").Coverage!.ToString());
    }

    [Fact]
    public void Gateway_api_rules_of_several_routes_are_ordered_by_precedence_and_a_regex_after_the_catch_all_is_never_reached()
    {
        var plan = Plan(ApiGateway + Services("front", "api", "pattern")
            + HttpRoute("front", "", "    - backendRefs: [ { name: front, port: 80 } ]\n    - matches: [ { path: { type: RegularExpression, value: \"/p.*\" } } ]\n      backendRefs: [ { name: pattern, port: 80 } ]", "2026-01-01T00:00:00Z")
            + HttpRoute("api", "", "    - matches: [ { path: { type: PathPrefix, value: /api } } ]\n      backendRefs: [ { name: api, port: 80 } ]", "2026-05-01T00:00:00Z"));

        Assert.Equal("shared: uri prefix /api: 100 % to api.default.svc.cluster.local", Decision(plan, "front").Coverage!.ToString());
        Assert.Equal("shared: other requests: 100 % to front.default.svc.cluster.local", Decision(plan, "api").Coverage!.ToString());
        Assert.Equal(CoverageKind.None, Decision(plan, "pattern").Coverage!.Kind);
    }

    [Fact]
    public void A_gateway_api_route_for_the_exact_hostname_takes_it_from_a_route_without_hostnames()
    {
        var plan = Plan(ApiGateway + Services("a", "b")
            + HttpRoute("all", "", "    - backendRefs: [ { name: a, port: 80, weight: 1 }, { name: b, port: 80, weight: 1 } ]")
            + HttpRoute("exact", "a.default.svc.cluster.local", "    - backendRefs: [ { name: a, port: 80 } ]"));

        Assert.Equal(CoverageKind.Full, Decision(plan, "a").Coverage!.Kind);
        Assert.Equal("shared: 50 % to a.default.svc.cluster.local", Decision(plan, "b").Coverage!.ToString());
    }

    [Fact]
    public void A_gateway_api_request_redirect_is_answered_by_the_gateway()
    {
        var plan = Plan(ApiGateway + Services("a") + HttpRoute("redirect", "", """
                - matches: [ { path: { type: Exact, value: /old } } ]
                  filters: [ { type: RequestRedirect, requestRedirect: { scheme: https, statusCode: 301 } } ]
                - backendRefs: [ { name: a, port: 80 } ]
            """));

        Assert.Equal("shared: uri exact /old: the gateway answers 301 redirecting to https://", Decision(plan, "a").Coverage!.ToString());
    }
}
