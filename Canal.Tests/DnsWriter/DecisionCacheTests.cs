using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;

namespace Canal.Tests.DnsWriter;

/// <summary>The DnsWriter decides again only what changed; its plan is still the one decided afresh from everything it holds.</summary>
public sealed class DecisionCacheTests
{
    private static readonly RedirectOptions Options = new();
    private static readonly Dictionary<string, string> CanalWorkload = new() { ["app"] = "canal-gateway" };
    private static readonly ObjectKey CanalKey = new("istio-system", "canal");

    [Fact]
    public void Each_plan_is_the_plan_decided_afresh_whatever_changed_since_the_last()
    {
        var random = new Random(11);
        var state = new RedirectState(Options);
        var gateways = new Dictionary<ObjectKey, Gateway>();
        var services = new Dictionary<ObjectKey, ClusterService>();
        var withdrawn = new HashSet<ObjectKey>();
        long version = 0;
        string[] names = [.. Enumerable.Range(0, 12).Select(i => $"h{i}")];
        string Host(string name, int ns) => $"{name}.ns{ns}.svc.cluster.local";

        void Observe(Gateway gateway) => state.Observe(gateways[gateway.Key] = gateway);
        void ObserveService(ClusterService service) => state.Observe(services[service.Key] = service);
        Observe(Canal([80, 5432]));
        ObserveService(Service(CanalKey, [80, 5432], CanalWorkload, "10.96.0.50"));

        for (var step = 0; step < 500; step++)
        {
            switch (random.Next(12))
            {
                case < 6:
                    var ns = random.Next(3);
                    var claims = state.Namespaces.FirstOrDefault(n => n.Namespace == $"ns{ns}")?.Claims.ToDictionary(c => c.Claimer) ?? [];
                    var claimer = new ObjectKey($"ns{ns}", $"vs{random.Next(4)}");
                    if (random.Next(4) == 0)
                        claims.Remove(claimer);
                    else
                    {
                        // Some claim their host over TCP, so hosts come to share, and stop sharing, the gateway's TCP port.
                        var kind = random.Next(4) == 0 ? RouteKind.Tcp : RouteKind.Http;
                        var hosts = names.Where(_ => random.Next(5) == 0).Select(n => Host(n, ns)).ToList();
                        claims[claimer] = new NamespaceClaim(claimer, ++version, [CanalKey], hosts,
                            [.. hosts.Select(_ => new HostRoutes([new RouteBinding(CanalKey, kind == RouteKind.Tcp ? 5432 : random.Next(2) == 0 ? null : 80, kind, $"ns{ns}")]))]);
                    }
                    state.Hold(new NamespaceClaims($"ns{ns}", ++version, [.. claims.Values.OrderBy(c => c.Claimer)]));
                    break;
                case 6 or 7:
                    // A host's Service comes, goes or changes its ports: only that host's verdict may change.
                    var key = new ObjectKey($"ns{random.Next(3)}", names[random.Next(names.Length)]);
                    if (random.Next(3) == 0)
                    {
                        services.Remove(key);
                        state.RemoveService(key);
                    }
                    else
                        ObserveService(Service(key, random.Next(2) == 0 ? [80] : [80, 9000], new Dictionary<string, string> { ["app"] = key.Name }));
                    break;
                case 8:
                    // Another team's Gateway changes nothing; a new canal Gateway, or its Service's ports, change every verdict.
                    Observe(new Gateway(new ObjectKey("istio-system", "ingress"), new Dictionary<string, string> { ["istio"] = "ingressgateway" },
                        [new GatewayServer(random.Next(2) == 0 ? 80 : 8080, "HTTP", ["*"])]));
                    break;
                case 9:
                    Observe(Canal(random.Next(2) == 0 ? [80, 5432] : [80]));
                    break;
                case 10:
                    ObserveService(Service(CanalKey, random.Next(2) == 0 ? [80, 5432] : [80], CanalWorkload, "10.96.0.50"));
                    break;
                default:
                    if (!withdrawn.Remove(CanalKey))
                        withdrawn.Add(CanalKey);
                    break;
            }

            var plan = state.Plan(state.CanalGateways(), withdrawn);
            // Decided from the claims as held, indexed afresh: not through the DnsWriter's own index.
            var claimants = ClaimantIndexTests.Rebuilt(state.Namespaces).ToDictionary(h => h.Key, h => (IReadOnlyList<HostClaimant>)h.Value, StringComparer.Ordinal);
            var afresh = RedirectPlanner.Decide(claimants, CanalGateway.Find(gateways.Values, services.Values, Options), services.Values, Options, withdrawn);
            Assert.Equal(Describe(afresh), Describe(plan));
        }
    }

    private static Gateway Canal(int[] ports) => new(CanalKey, CanalWorkload,
        [.. ports.Select(p => new GatewayServer(p, p == 5432 ? "TCP" : "HTTP", ["*"]))]);

    private static ClusterService Service(ObjectKey key, int[] ports, Dictionary<string, string> selector, params string[] clusterIPs) =>
        new(key, selector, [.. ports.Select(p => new ServicePort(p, null, "TCP"))], clusterIPs);

    private static string Describe(RedirectPlan plan) => string.Join("\n",
        plan.Redirects.Select(r => $"{r.Host} -> {r.TargetFqdn} {string.Join(",", r.TargetIPs)}")
            .Concat(plan.Decisions.Select(d => $"{d.Host} {d.Status} {d.Gateway} [{string.Join(",", d.Claimers)}] {d.Reason} {d.Coverage}")));
}
