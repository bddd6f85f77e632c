
namespace Canal.Istio;

/// <summary>
/// Decides which hosts are redirected, to which canal gateway, and why the others are not.
/// Pure: the same objects always give the same plan, whatever order they came in.
/// </summary>
public static class RedirectPlanner
{
    /// <summary>Plans from whole objects, as local mode and <c>canal render</c> have them.</summary>
    public static RedirectPlan Plan(
        IEnumerable<VirtualService> virtualServices,
        IEnumerable<Gateway> gateways,
        IEnumerable<ClusterService> services,
        RedirectOptions options)
    {
        var serviceList = services.GroupBy(s => s.Key).Select(g => g.Last()).ToList();
        var (claims, skipped) = Claims(virtualServices, options);
        var plan = Decide(claims, CanalGateway.Find(gateways, serviceList, options), serviceList, options);
        return plan with { Decisions = [.. plan.Decisions.Concat(skipped).OrderBy(d => d.Host, StringComparer.Ordinal)] };
    }

    /// <summary>What whole VirtualServices claim, host by host (as the DnsWriter gathers it from the namespaces), and the destinations skipped.</summary>
    public static (IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> Claims, IReadOnlyList<HostDecision> Skipped) Claims(IEnumerable<VirtualService> virtualServices, RedirectOptions options)
    {
        var all = virtualServices.GroupBy(v => v.Key).Select(g => g.Last()).OrderBy(v => v.Key).ToList();
        var roots = Delegation.Roots(all);
        var claims = new Dictionary<string, List<HostClaimant>>(StringComparer.Ordinal);
        var skipped = new List<HostDecision>();
        foreach (var vs in all)
        {
            var extracted = VirtualServiceClaims.Extract(vs, roots.GetValueOrDefault(vs.Key) ?? [], options);
            foreach (var host in extracted.Hosts)
            {
                if (!claims.TryGetValue(host.Host, out var list))
                    claims[host.Host] = list = [];
                list.Add(new HostClaimant(vs.Key, host.Routes));
            }
            skipped.AddRange(extracted.Skipped.Select(s =>
                new HostDecision(s.Host, HostStatus.Skipped, $"{s.Reason} (at {s.Path})", null, [vs.Key])));
        }
        return (claims.ToDictionary(c => c.Key, c => (IReadOnlyList<HostClaimant>)c.Value, StringComparer.Ordinal), skipped);
    }

    /// <summary>
    /// Decides from host claims, as the DnsWriter has them: for each host, the VirtualServices routing to
    /// it and the gateways each names. A host is redirected while at least one claimer is bound to a canal
    /// gateway that serves every port of the host's Service. Gateways in <paramref name="withdrawn"/> (no ready
    /// endpoints for too long) serve nothing: their hosts fail open, back to the Service itself. <paramref name="tcp"/>
    /// says which hosts tcp routes send to each gateway, over every claim (by default: over <paramref name="claims"/>).
    /// </summary>
    public static RedirectPlan Decide(
        IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> claims,
        IReadOnlyDictionary<ObjectKey, CanalGateway> canalGateways,
        IEnumerable<ClusterService> services,
        RedirectOptions options,
        IReadOnlySet<ObjectKey>? withdrawn = null,
        TcpPorts? tcp = null,
        Coverage? coverage = null)
    {
        tcp ??= TcpPorts.Of(claims);
        coverage ??= Coverage.Of(claims);
        var servicesByKey = services.ToDictionary(s => s.Key);
        var gatewayServiceNames = canalGateways.Values.Select(g => g.ServiceFqdn).ToHashSet(StringComparer.Ordinal);
        var routes = canalGateways.Values.ToDictionary(g => g.Key, g => $"-> {g.ServiceFqdn} via gateway {g.Key}");
        var redirects = new List<Redirect>(claims.Count);
        var decisions = new List<HostDecision>(claims.Count);

        foreach (var (host, claimants) in claims.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var claimers = claimants.Select(c => c.VirtualService).Distinct().Order().ToList();
            var named = claimants.SelectMany(c => c.Routes.Bindings).Select(b => b.Gateway).Distinct().Order().ToList();
            var candidates = named.Where(canalGateways.ContainsKey).ToList();
            if (candidates.Count == 0)
            {
                var unbound = claimants.Select(c => c.Routes.Unbound).OfType<string>().Distinct().ToList();
                var why = named.Count > 0
                    ? $"not bound to a canal gateway ({string.Join(", ", named)} {(named.Count == 1 ? "is" : "are")} not a known canal gateway)"
                    : unbound.Count > 0
                        ? $"not routed through a gateway: {string.Join("; ", unbound)}"
                        : "not bound to a canal gateway (its VirtualServices name only mesh)";
                decisions.Add(new HostDecision(host, HostStatus.Skipped, why, null, claimers));
                continue;
            }
            if (gatewayServiceNames.Contains(host))
            {
                decisions.Add(new HostDecision(host, HostStatus.Blocked, "is a canal gateway's own Service; redirecting it would loop", candidates[0], claimers));
                continue;
            }

            var serviceKey = HostName.ServiceOf(host, options.ClusterDomain);
            var service = serviceKey != null && servicesByKey.TryGetValue(serviceKey.Value, out var s) ? s : null;
            var verdicts = candidates.Select(key => (gateway: canalGateways[key], refusal: Refusal(canalGateways[key], host, service, claimants, tcp))).ToList();
            var serving = verdicts.Where(v => v.refusal == null).ToList();
            var winner = serving.FirstOrDefault(v => withdrawn?.Contains(v.gateway.Key) != true).gateway;
            if (winner == null && serving.Count > 0)
            {
                decisions.Add(new HostDecision(host, HostStatus.Blocked,
                    $"gateway {serving[0].gateway.Key} has had no ready endpoints for too long; redirect withdrawn, clients go straight to the Service",
                    serving[0].gateway.Key, claimers));
                continue;
            }
            if (winner == null)
            {
                var (gateway, refusal) = verdicts[0];
                decisions.Add(new HostDecision(host, HostStatus.Blocked, refusal!, gateway.Key, claimers));
                continue;
            }

            var covered = Covered(winner, host, service, claimants, coverage);
            if (covered?.Kind == CoverageKind.None)
            {
                decisions.Add(new HostDecision(host, HostStatus.Blocked,
                    $"{covered.Summary}; redirecting would send its clients elsewhere", winner.Key, claimers) { Coverage = covered });
                continue;
            }
            if (covered != null && covered.Kind != CoverageKind.Full && options.Coverage == CoveragePolicy.Full)
            {
                decisions.Add(new HostDecision(host, HostStatus.Blocked,
                    $"gateway {winner.Key} carries only part of its traffic to it ({covered}); --coverage full redirects only names the gateway routes in full to themselves", winner.Key, claimers) { Coverage = covered });
                continue;
            }

            var reason = routes[winner.Key];
            if (service == null && serviceKey != null)
                reason += "; its Service is not known, so its ports were not checked";
            if (verdicts.Count > 1)
                reason += $"; also claimed through {string.Join(", ", verdicts.Where(v => v.gateway != winner).Select(v => v.gateway.Key))} (conflict: the first serving gateway by namespace/name wins)";
            redirects.Add(new Redirect(host, winner.ServiceFqdn, winner.ClusterIPs));
            decisions.Add(new HostDecision(host, HostStatus.Redirected, reason, winner.Key, claimers) { Coverage = covered });
        }
        return new RedirectPlan(redirects, decisions);
    }

    /// <summary>
    /// Null when <paramref name="gateway"/> routes <paramref name="host"/> on every port of its Service (on some
    /// port, when the Service is not known); otherwise why not, for the first port it does not. A port is routed
    /// when the gateway's Service exposes it and a server on it carries a claimant's route of that kind, applying
    /// on that port, and admits the host from that claimant's namespace.
    /// </summary>
    private static string? Refusal(CanalGateway gateway, string host, ClusterService? service, IReadOnlyList<HostClaimant> claimants, TcpPorts tcp)
    {
        if (gateway.Unusable != null)
            return gateway.Unusable;
        var bindings = claimants.SelectMany(c => c.Routes.Bindings).Where(b => b.Gateway == gateway.Key).ToList();
        var ports = service != null ? service.Ports.Select(p => p.Port).Distinct().Order().ToList() : [.. gateway.Gateway.Ports];
        var reasons = new List<(int Port, PortRefusal Refusal)>();
        foreach (var port in ports)
        {
            if (Refused(gateway, host, port, bindings, tcp) is { } refusal)
                reasons.Add((port, refusal));
            else if (service == null)
                return null;
        }
        if (service == null)
        {
            return reasons.Count == 0
                ? $"its Service is not known and gateway {gateway.Key} has no server"
                : $"its Service is not known and gateway {gateway.Key} routes it on none of its ports (port {reasons[0].Port}: {reasons[0].Refusal})";
        }
        if (reasons.Count == 0)
            return null;

        var notOpen = reasons.Where(r => r.Refusal is PortRefusal.NotOpen).Select(r => r.Port).ToList();
        if (notOpen.Count > 0)
        {
            return $"Service {service.Key} port{(notOpen.Count > 1 ? "s" : "")} {string.Join(", ", notOpen)} {(notOpen.Count > 1 ? "are" : "is")} not open on gateway {gateway.Key} (open: {string.Join(", ", gateway.Gateway.Ports.Where(gateway.Serves))}); redirecting would black-hole that traffic";
        }
        var (first, why) = reasons[0];
        return $"port {first} of Service {service.Key}: {why}; redirecting would black-hole that traffic";
    }

    /// <summary>
    /// What <paramref name="gateway"/> does with the requests for <paramref name="host"/> on every port it would carry: the
    /// worst port's coverage (none before shared before partial before full), said with its port when ports differ; null
    /// when no claim carries route tables.
    /// </summary>
    private static HostCoverage? Covered(CanalGateway gateway, string host, ClusterService? service, IReadOnlyList<HostClaimant> claimants, Coverage coverage)
    {
        var bindings = claimants.SelectMany(c => c.Routes.Bindings).Where(b => b.Gateway == gateway.Key).ToList();
        var ports = service != null ? service.Ports.Select(p => p.Port).Distinct().Order() : gateway.Gateway.Ports.Where(gateway.Serves);
        var found = new List<(int Port, HostCoverage Coverage)>();
        foreach (var port in ports)
        {
            var servers = gateway.Gateway.Servers.Where(s => s.Port == port).ToList();
            var kinds = bindings.Where(b => b.AppliesOn(port)).Select(b => b.Kind).Where(k => servers.Any(s => s.Carries(k))).Distinct().Order().ToList();
            if (kinds.Count > 0 && coverage.Of(host, gateway.Key, port, kinds[0]) is { } covered)
                found.Add((port, covered));
        }
        if (found.Count == 0)
            return null;
        var worst = found.OrderByDescending(f => f.Coverage.Kind).First();
        return found.All(f => f.Coverage.Kind == worst.Coverage.Kind && f.Coverage.Summary == worst.Coverage.Summary)
            ? worst.Coverage with { Port = worst.Port }
            : worst.Coverage with { Summary = $"on port {worst.Port}: {worst.Coverage.Summary}", Port = worst.Port };
    }

    /// <summary>Why a gateway does not route a host on one port: the port is not open there (said of all such ports at once), or another reason.</summary>
    private abstract record PortRefusal
    {
        public sealed record NotOpen : PortRefusal
        {
            public override string ToString() => "not open";
        }

        public sealed record Unrouted(string Reason) : PortRefusal
        {
            public override string ToString() => Reason;
        }
    }

    private static PortRefusal? Refused(CanalGateway gateway, string host, int port, List<RouteBinding> bindings, TcpPorts tcp) =>
        !gateway.Serves(port) ? new PortRefusal.NotOpen()
        : Unrouted(gateway, host, port, bindings, tcp) is { } reason ? new PortRefusal.Unrouted(reason)
        : null;

    /// <summary>Why an open port does not carry the host's routes; null when it does.</summary>
    private static string? Unrouted(CanalGateway gateway, string host, int port, List<RouteBinding> bindings, TcpPorts tcp)
    {
        var applying = bindings.Where(b => b.AppliesOn(port)).ToList();
        if (applying.Count == 0)
            return $"the routes to it apply on gateway {gateway.Key} only on port{(bindings.Count > 1 ? "s" : "")} {string.Join(", ", bindings.Select(b => b.Port).Distinct().Order())}";
        var servers = gateway.Gateway.Servers.Where(s => s.Port == port).ToList();
        var carrying = servers.Where(s => applying.Any(b => s.Carries(b.Kind))).ToList();
        if (carrying.Count == 0)
        {
            var kinds = string.Join(" and ", applying.Select(b => b.Kind.ToString().ToLowerInvariant()).Distinct());
            return $"gateway {gateway.Key} serves port {port} as {string.Join(", ", servers.Select(Describe).Distinct())}, which does not carry its {kinds} routes to plain clients";
        }
        var admittedKinds = applying
            .Where(b => carrying.Any(s => s.Carries(b.Kind) && s.Hosts.Any(h => HostPattern.Admits(h, gateway.Key.Namespace, b.Namespace, host))))
            .Select(b => b.Kind)
            .ToHashSet();
        if (admittedKinds.Count == 0)
            return $"no server of gateway {gateway.Key} on port {port} admits it from namespace {string.Join(", ", applying.Select(b => b.Namespace).Distinct().Order())} (server hosts: {string.Join(", ", carrying.SelectMany(s => s.Hosts).Distinct())})";
        if (admittedKinds.SetEquals([RouteKind.Tcp]) && tcp.SharedWith(gateway.Key, port, host) is { } other)
            return $"gateway {gateway.Key} forwards all TCP traffic on port {port} by one route, and tcp routes send {other} there too; clients of one would reach the other";
        return null;
    }

    private static string Describe(GatewayServer server) =>
        server.HttpsRedirect ? $"{server.Protocol} redirecting to HTTPS"
        : server.TlsMode != null ? $"{server.Protocol} (tls {server.TlsMode})"
        : server.Protocol ?? "a server without a protocol";
}
