using Canal.Istio;
using CsCheck;

namespace Canal.Tests.Istio;

/// <summary>
/// Random meshes of Gateways, Services and VirtualServices (match gateways, ports, client scopes, exportTo,
/// server hosts, protocols, names with and without dots): whatever they hold, every redirect has a route the
/// gateway really serves, and the plan does not depend on the order the objects arrive in.
/// </summary>
public sealed class BindingPropertyTests
{
    private const long Iterations = 500;
    private static readonly RedirectOptions Options = new();
    private static readonly string[] Namespaces = ["shop", "front", "istio-system"];

    private sealed record Mesh(IReadOnlyList<VirtualService> VirtualServices, IReadOnlyList<Gateway> Gateways, IReadOnlyList<ClusterService> Services)
    {
        public override string ToString() => string.Join("\n", VirtualServices.Select(v => $"{v.Key} hosts={string.Join(",", v.Hosts)} gateways={string.Join(",", v.Gateways)} exportTo={string.Join(",", v.ExportTo)} routes={string.Join(" | ", v.Routes.Select(r => $"{r.Kind} [{string.Join(";", r.Matches.Select(m => $"gw={string.Join(",", m.Gateways)} port={m.Port} scoped={m.SourceScoped} request={m.Request}"))}] -> {r.Answer ?? string.Join(",", r.Destinations.Select(d => $"{d.Host}@{d.Weight}"))}"))}")
            .Concat(Gateways.Select(g => $"{g.Key} selector={string.Join(",", g.Selector)} servers={string.Join(" ", g.Servers.Select(s => $"{s.Port}/{s.Protocol}/{string.Join(",", s.Hosts)}"))}"))
            .Concat(Services.Select(s => $"{s.Key} ports={string.Join(",", s.Ports.Select(p => p.Port))}")));
    }

    private static readonly Gen<int> Port = Gen.Frequency((3, Gen.Const(9080)), (1, Gen.Const(5000)));

    private static readonly Gen<RouteMatch> Match = Gen.Select(
        Gen.OneOf<string[]>([], ["mesh"], ["istio-system/canal"], ["canal", "mesh"]),
        Gen.Frequency((3, Gen.Const((int?)null)), (1, Port.Select(p => (int?)p))),
        Gen.Frequency((2, Gen.Const(false)), (1, Gen.Const(true))),
        Gen.Frequency((3, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("uri prefix /a", "header x exact 1"))),
        (gateways, port, sourceScoped, request) => new RouteMatch(gateways, port, sourceScoped, []) { Request = request });

    private static readonly Gen<string> Destination =
        Gen.Frequency((4, Gen.OneOf("ratings.shop.svc.cluster.local", "reviews.shop.svc.cluster.local")), (1, Gen.OneOf("reviews", "reviews.shop", "httpbin.org")));

    private static readonly Gen<int?> Weight = Gen.Frequency((2, Gen.Const((int?)null)), (1, Gen.Const((int?)0)), (2, Gen.Const((int?)50)), (1, Gen.Const((int?)100)));

    private static readonly Gen<Route> RouteGen = Gen.Select(
        Gen.Frequency((4, Gen.Const(RouteKind.Http)), (1, Gen.Const(RouteKind.Tcp))),
        Match.Array[0, 2],
        Gen.Select(Destination, Weight).Array[1, 2],
        Gen.Int[0, 9],
        Gen.Frequency((6, Gen.Const((string?)null)), (1, Gen.Const((string?)"answers 503 itself (directResponse)"))),
        // Request conditions are http's: tcp routes match on gateways and ports only.
        (kind, matches, destinations, i, answer) => new Route(kind, $"spec.http[{i}]", kind == RouteKind.Http ? matches : [.. matches.Select(m => m with { Request = null })],
            [.. destinations.Select((d, j) => new RouteDestination(d.Item1, null, $"spec.http[{i}].route[{j}].destination.host") { Weight = d.Item2 })])
        {
            Answer = kind == RouteKind.Http ? answer : null,
        });

    private static readonly Gen<VirtualService> VirtualServiceGen = Gen.Select(
        Gen.OneOf(Namespaces),
        Gen.Int[0, 3],
        Gen.Frequency((4, Gen.Const("*")), (1, Gen.OneOf("reviews", "*.shop.svc.cluster.local", "shop.example.com", "reviews.shop.svc.cluster.local", "ratings.shop.svc.cluster.local"))).Array[1, 2],
        Gen.Frequency((6, Gen.Const("istio-system/canal")), (1, Gen.OneOf("canal", "mesh", "istio-system/other", "./canal"))).Array[1, 2],
        Gen.Frequency((4, Gen.Const<string[]>(() => [])), (1, Gen.OneOf<string[]>(["."], ["istio-system"], ["*"]))),
        RouteGen.Array[1, 3],
        (ns, n, hosts, gateways, exportTo, routes) => new VirtualService(new ObjectKey(ns, $"vs{n}"), null, 0, hosts, gateways, exportTo, routes));

    private static readonly Gen<GatewayServer> Server = Gen.Select(
        Port,
        Gen.Frequency((4, Gen.Const("HTTP")), (1, Gen.Const("TCP")), (1, Gen.Const("HTTPS"))),
        Gen.Frequency((4, Gen.Const("*")), (1, Gen.OneOf("shop/*", "./*", "*/reviews.shop.svc.cluster.local", "front/*.shop.svc.cluster.local", "*/foo.com"))),
        (port, protocol, host) => new GatewayServer(port, protocol, [host], protocol == "HTTPS" ? "SIMPLE" : null));

    private static readonly Gen<Mesh> MeshGen = Gen.Select(
        VirtualServiceGen.Array[1, 6],
        Server.Array[1, 3],
        Gen.OneOf(
            new Dictionary<string, string> { ["app"] = "canal-gateway" },
            new Dictionary<string, string> { ["app"] = "canal-gateway", ["tier"] = "a" },
            new Dictionary<string, string> { ["app"] = "other" }),
        Port.Array[1, 2],
        Port.Array[1, 2],
        (virtualServices, servers, selector, gatewayPorts, reviewsPorts) => new Mesh(
            // One object per key: a later copy of a key replaces the earlier, which is an order by design.
            [.. virtualServices.DistinctBy(v => v.Key)],
            [new Gateway(new ObjectKey("istio-system", "canal"), selector, servers)],
            [
                new ClusterService(new ObjectKey("istio-system", "canal"), new Dictionary<string, string> { ["app"] = "canal-gateway" }, [.. gatewayPorts.Distinct().Select(p => new ServicePort(p, null, "TCP"))], ["10.96.0.50"]),
                new ClusterService(new ObjectKey("shop", "reviews"), new Dictionary<string, string> { ["app"] = "reviews" }, [.. reviewsPorts.Distinct().Select(p => new ServicePort(p, null, "TCP"))], []),
                new ClusterService(new ObjectKey("shop", "ratings"), new Dictionary<string, string> { ["app"] = "ratings" }, [new ServicePort(9080, null, "TCP")], []),
            ]));

    [Fact]
    public void No_redirected_host_lacks_a_route_its_gateway_serves_on_every_port_of_its_service()
    {
        MeshGen.Sample(mesh =>
        {
            var plan = RedirectPlanner.Plan(mesh.VirtualServices, mesh.Gateways, mesh.Services, Options);
            foreach (var redirect in plan.Redirects)
            {
                var gateway = mesh.Gateways.Single(g => g.Key == plan.Decisions.Single(d => d.Host == redirect.Host).Gateway);
                var service = mesh.Services.SingleOrDefault(s => HostName.ServiceFqdn(s.Key, Options.ClusterDomain) == redirect.Host);
                if (service == null)
                {
                    Assert.True(gateway.Ports.Any(port => Served(mesh, gateway, redirect.Host, port)), $"{redirect.Host} is redirected but gateway {gateway.Key} routes it on no port");
                    continue;
                }
                foreach (var port in service.Ports.Select(p => p.Port))
                    Assert.True(Served(mesh, gateway, redirect.Host, port), $"{redirect.Host} is redirected but gateway {gateway.Key} does not route it on port {port}");
            }
        }, iter: Iterations, print: m => m.ToString());
    }

    [Fact]
    public void The_plan_does_not_depend_on_the_order_objects_arrive_in()
    {
        Gen.Select(MeshGen, Gen.Int).Sample((mesh, seed) =>
        {
            var random = new Random(seed);
            var expected = Describe(RedirectPlanner.Plan(mesh.VirtualServices, mesh.Gateways, mesh.Services, Options));
            var shuffled = RedirectPlanner.Plan(
                mesh.VirtualServices.OrderBy(_ => random.Next()), mesh.Gateways, mesh.Services.OrderBy(_ => random.Next()), Options);
            Assert.Equal(expected, Describe(shuffled));
        }, iter: Iterations, print: t => t.Item1.ToString());
    }

    [Fact]
    public void A_host_reported_full_has_on_every_port_of_its_service_a_route_taking_every_request_to_it_alone()
    {
        MeshGen.Sample(mesh =>
        {
            var plan = RedirectPlanner.Plan(mesh.VirtualServices, mesh.Gateways, mesh.Services, Options);
            foreach (var decision in plan.Decisions.Where(d => d.Coverage?.Kind == CoverageKind.Full))
            {
                var gateway = mesh.Gateways.Single(g => g.Key == decision.Gateway);
                // Clients reach the ports of the host's Service; when it is not known, those the gateway's Service opens and routes it on.
                var service = mesh.Services.SingleOrDefault(s => HostName.ServiceFqdn(s.Key, Options.ClusterDomain) == decision.Host);
                var open = mesh.Services.Single(s => s.Key == gateway.Key).Ports.Select(p => p.Port);
                foreach (var port in service?.Ports.Select(p => p.Port) ?? gateway.Ports.Where(p => open.Contains(p) && Served(mesh, gateway, decision.Host, p)))
                {
                    Assert.True(Routes(mesh, gateway, decision.Host, port).Any(r => TakesEveryRequest(r.Route, r.VirtualService, gateway, port) && Effective(r.Route).All(d => Fqdn(d.Host, r.VirtualService.Key.Namespace) == decision.Host)),
                        $"{decision.Host} is full on gateway {gateway.Key}, but no route on port {port} takes every request to it alone");
                }
            }
        }, iter: Iterations, print: m => m.ToString());
    }

    [Fact]
    public void No_host_is_redirected_through_destinations_that_get_no_requests()
    {
        MeshGen.Sample(mesh =>
        {
            var plan = RedirectPlanner.Plan(mesh.VirtualServices, mesh.Gateways, mesh.Services, Options);
            foreach (var decision in plan.Decisions.Where(d => d.Status == HostStatus.Redirected && d.Coverage != null))
            {
                var gateway = mesh.Gateways.Single(g => g.Key == decision.Gateway);
                Assert.True(gateway.Ports.Any(port => Routes(mesh, gateway, decision.Host, port).Any(r => r.Route.Answer == null && Effective(r.Route).Any(d => Fqdn(d.Host, r.VirtualService.Key.Namespace) == decision.Host))),
                    $"{decision.Host} is redirected ({decision.Coverage}), but every route to it gives it weight 0 or is answered by the gateway");
            }
        }, iter: Iterations, print: m => m.ToString());
    }

    [Fact]
    public void Coverage_kept_across_a_change_decides_as_coverage_worked_out_afresh_and_names_every_host_whose_verdict_moved()
    {
        Gen.Select(MeshGen, VirtualServiceGen.Array[1, 6]).Sample((mesh, next) =>
        {
            var gateways = CanalGateway.Find(mesh.Gateways, mesh.Services, Options);
            var before = RedirectPlanner.Claims(mesh.VirtualServices, Options).Claims;
            var after = RedirectPlanner.Claims(next.DistinctBy(v => v.Key), Options).Claims;
            var kept = Coverage.Of(before);
            var affected = kept.Update(after);

            var incremental = RedirectPlanner.Decide(after, gateways, mesh.Services, Options, coverage: kept);
            Assert.Equal(Describe(RedirectPlanner.Decide(after, gateways, mesh.Services, Options)), Describe(incremental));
            // The DnsWriter decides again only hosts whose claimants changed, or whose coverage Update names.
            var earlier = RedirectPlanner.Decide(before, gateways, mesh.Services, Options).Decisions.ToDictionary(d => d.Host);
            foreach (var decision in incremental.Decisions.Where(d => earlier.ContainsKey(d.Host) && HostClaimant.Same(before[d.Host], after[d.Host])))
                Assert.True(affected.Contains(decision.Host) || $"{decision} {decision.Coverage}" == $"{earlier[decision.Host]} {earlier[decision.Host].Coverage}",
                    $"{decision.Host} moved from {earlier[decision.Host]} {earlier[decision.Host].Coverage} to {decision} {decision.Coverage}, but the update did not name it");
        }, iter: Iterations, print: t => $"{t.Item1}\nthen:\n{string.Join("\n", t.Item2.Select(v => v.Key))}");
    }

    /// <summary>The destinations a route's requests go to: a lone one whatever its weight, else those weighing more than 0.</summary>
    private static IEnumerable<RouteDestination> Effective(Route route) =>
        route.Destinations.Count == 1 ? route.Destinations : route.Destinations.Where(d => d.Weight > 0);

    private static bool TakesEveryRequest(Route route, VirtualService vs, Gateway gateway, int port) =>
        route.Answer == null
        && (route.Matches.Count == 0 || route.Matches.Any(m => m.Request == null && Applies(m, vs, gateway, port)));

    private static bool Applies(RouteMatch m, VirtualService vs, Gateway gateway, int port) =>
        (m.Gateways.Count > 0 ? Names(m.Gateways, vs.Key.Namespace, gateway) : !m.SourceScoped) && (m.Port == null || m.Port == port);

    /// <summary>The routes of VirtualServices bound to and visible from the gateway, with a host covering the name, that apply on the port.</summary>
    private static IEnumerable<(VirtualService VirtualService, Route Route)> Routes(Mesh mesh, Gateway gateway, string host, int port) =>
        mesh.VirtualServices
            .Where(vs => Names(vs.Gateways, vs.Key.Namespace, gateway) && Visible(vs, gateway) && Covers(vs, host))
            .SelectMany(vs => vs.Routes.Where(r => r.Matches.Count == 0 || r.Matches.Any(m => Applies(m, vs, gateway, port))).Select(r => (vs, r)));

    private static string Describe(RedirectPlan plan) =>
        string.Join("\n", plan.Redirects.Select(r => $"{r.Host} {r.TargetFqdn}").Concat(plan.Decisions.Select(d => $"{d} {d.Coverage}")));

    /// <summary>
    /// Written out the long way, from Istio's documentation rather than Canal's code: some VirtualService bound to
    /// the gateway and visible to it has a host covering the name, a server on the port takes that host from its
    /// namespace, and one of its routes to the name applies there.
    /// </summary>
    private static bool Served(Mesh mesh, Gateway gateway, string host, int port)
    {
        return mesh.VirtualServices.Any(vs =>
            Names(vs.Gateways, vs.Key.Namespace, gateway)
            && Visible(vs, gateway)
            && Covers(vs, host)
            && vs.Routes.Any(route =>
                route.Destinations.Any(d => Fqdn(d.Host, vs.Key.Namespace) == host)
                && (route.Matches.Count == 0 || route.Matches.Any(m => Applies(m, vs, gateway, port)))
                && gateway.Servers.Any(s =>
                    s.Port == port
                    && (route.Kind == RouteKind.Http ? s.Protocol == "HTTP" : s.Protocol == "TCP")
                    && s.Hosts.Any(h => ServerTakes(h, gateway.Key.Namespace, vs.Key.Namespace, host)))));
    }

    private static string Fqdn(string name, string ns) => name.Contains('.') ? name : $"{name}.{ns}.svc.cluster.local";

    private static bool Names(IEnumerable<string> references, string ns, Gateway gateway) =>
        references.Any(r => r != "mesh" && (r.Contains('/') ? r.Replace("./", ns + "/") : $"{ns}/{r}") == gateway.Key.ToString());

    private static bool Visible(VirtualService vs, Gateway gateway) =>
        vs.ExportTo.Count == 0 || vs.ExportTo.Contains("*") || vs.ExportTo.Contains(gateway.Key.Namespace) || vs.ExportTo.Contains(".") && vs.Key.Namespace == gateway.Key.Namespace;

    private static bool Covers(VirtualService vs, string host) =>
        vs.Hosts.Any(h => h == "*" || Fqdn(h, vs.Key.Namespace) == host || h.StartsWith("*.") && host.EndsWith(h[1..]));

    private static bool ServerTakes(string serverHost, string gatewayNamespace, string vsNamespace, string host)
    {
        var (ns, name) = serverHost.Split('/') is [var n, var d] ? (n, d) : ("*", serverHost);
        var namespaceOk = ns == "*" || ns == "." && vsNamespace == gatewayNamespace || ns == vsNamespace;
        return namespaceOk && (name == "*" || name == host || name.StartsWith("*.") && host.EndsWith(name[1..]));
    }
}
