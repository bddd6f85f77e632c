using Canal.Dns;

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
        var all = virtualServices.GroupBy(v => v.Key).Select(g => g.Last()).ToList();
        var serviceList = services.GroupBy(s => s.Key).Select(g => g.Last()).ToList();
        var inherited = Delegation.InheritedGateways(all, options.ClusterDomain);

        var claims = new Dictionary<string, List<HostClaimant>>(StringComparer.Ordinal);
        var skipped = new List<HostDecision>();
        foreach (var vs in all)
        {
            var extracted = VirtualServiceClaims.Extract(vs, options.ClusterDomain);
            var gatewayRefs = inherited.TryGetValue(vs.Key, out var fromRoots)
                ? [.. extracted.Gateways.Union(fromRoots).Order()]
                : extracted.Gateways;
            foreach (var host in extracted.Hosts)
            {
                if (!claims.TryGetValue(host.Host, out var list))
                    claims[host.Host] = list = [];
                list.Add(new HostClaimant(vs.Key, gatewayRefs));
            }
            skipped.AddRange(extracted.Skipped.Select(s =>
                new HostDecision(s.Host, HostStatus.Skipped, $"{s.Reason} (at {s.Path})", null, [vs.Key])));
        }

        var plan = Decide(claims.ToDictionary(c => c.Key, c => (IReadOnlyList<HostClaimant>)c.Value), CanalGateway.Find(gateways, serviceList, options), serviceList, options);
        return plan with { Decisions = [.. plan.Decisions.Concat(skipped).OrderBy(d => d.Host, StringComparer.Ordinal)] };
    }

    /// <summary>
    /// Decides from host claims, as the DnsWriter has them: for each host, the VirtualServices routing to
    /// it and the gateways each names. A host is redirected while at least one claimer is bound to a canal
    /// gateway that serves every port of the host's Service. Gateways in <paramref name="withdrawn"/> (no ready
    /// endpoints for too long) serve nothing: their hosts fail open, back to the Service itself.
    /// </summary>
    public static RedirectPlan Decide(
        IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> claims,
        IReadOnlyDictionary<ObjectKey, CanalGateway> canalGateways,
        IEnumerable<ClusterService> services,
        RedirectOptions options,
        IReadOnlySet<ObjectKey>? withdrawn = null)
    {
        var servicesByKey = services.ToDictionary(s => s.Key);
        var gatewayServiceNames = canalGateways.Values.Select(g => g.ServiceFqdn).ToHashSet(StringComparer.Ordinal);
        var routes = canalGateways.Values.ToDictionary(g => g.Key, g => $"-> {g.ServiceFqdn} via gateway {g.Key}");
        var redirects = new List<Redirect>(claims.Count);
        var decisions = new List<HostDecision>(claims.Count);

        foreach (var (host, claimants) in claims.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var claimers = claimants.Select(c => c.VirtualService).Distinct().Order().ToList();
            var named = claimants.SelectMany(c => c.Gateways).Distinct().Order().ToList();
            var candidates = named.Where(canalGateways.ContainsKey).ToList();
            if (candidates.Count == 0)
            {
                var why = named.Count == 0
                    ? "not bound to a canal gateway (its VirtualServices name only mesh)"
                    : $"not bound to a canal gateway ({string.Join(", ", named)} {(named.Count == 1 ? "is" : "are")} not a known canal gateway)";
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
            var verdicts = candidates.Select(key => (gateway: canalGateways[key], closed: ClosedPorts(canalGateways[key], service))).ToList();
            var serving = verdicts.Where(v => v.closed.Count == 0).ToList();
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
                var (gateway, closed) = verdicts[0];
                decisions.Add(new HostDecision(host, HostStatus.Blocked,
                    $"Service {service!.Key} port{(closed.Count > 1 ? "s" : "")} {string.Join(", ", closed)} {(closed.Count > 1 ? "are" : "is")} not open on gateway {gateway.Key} (open: {string.Join(", ", gateway.Gateway.Ports.Where(gateway.Serves))}); redirecting would black-hole that traffic",
                    gateway.Key, claimers));
                continue;
            }

            var reason = routes[winner.Key];
            if (service == null && serviceKey != null)
                reason += "; its Service is not known, so its ports were not checked";
            if (verdicts.Count > 1)
                reason += $"; also claimed through {string.Join(", ", verdicts.Where(v => v.gateway != winner).Select(v => v.gateway.Key))} (conflict: the first serving gateway by namespace/name wins)";
            redirects.Add(new Redirect(host, winner.ServiceFqdn, winner.ClusterIPs));
            decisions.Add(new HostDecision(host, HostStatus.Redirected, reason, winner.Key, claimers));
        }
        return new RedirectPlan(redirects, decisions);
    }

    private static List<int> ClosedPorts(CanalGateway gateway, ClusterService? service)
    {
        List<int>? closed = null;
        foreach (var port in service?.Ports ?? [])
        {
            if (!gateway.Serves(port.Port))
                (closed ??= []).Add(port.Port);
        }
        return closed == null ? [] : [.. closed.Distinct().Order()];
    }
}

/// <summary>One VirtualService routing to a host, with the gateways it is bound to.</summary>
public sealed record HostClaimant(ObjectKey VirtualService, IReadOnlyList<ObjectKey> Gateways);
