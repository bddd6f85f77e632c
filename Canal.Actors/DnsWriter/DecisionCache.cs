using Canal.Dns;
using Canal.Istio;

namespace Canal.DnsWriter;

/// <summary>
/// Each host's verdict from the last plan, decided again only where an input changed: the host's claimants, the
/// coverage of its name (the routes of changed VirtualServices whose hosts cover it), its Service
/// (<see cref="ServiceChanged"/>). What every host depends on decides them all again: the canal gateways, which of them
/// are withdrawn, which hosts share a gateway's TCP ports, or a new listing (<see cref="Clear"/>). A steady change
/// thus decides its own hosts only: <see cref="Coverage.Update"/> walks the hosts, recognising the unchanged by reference
/// (<see cref="ClaimantIndex"/> keeps their lists), and tells of the changed ones, from which TCP ports are updated.
/// </summary>
internal sealed class DecisionCache
{
    private readonly SortedDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _stale = new(StringComparer.Ordinal);
    private readonly TcpPorts _tcp = new();
    private readonly Coverage _coverage = new();
    private IReadOnlyDictionary<ObjectKey, CanalGateway> _canalGateways = new Dictionary<ObjectKey, CanalGateway>();
    private HashSet<ObjectKey> _withdrawn = [];
    private bool _allStale = true;
    private RedirectPlan? _plan;

    private sealed record Entry(HostDecision Decision, Redirect? Redirect);

    /// <summary>Every host is decided again at the next plan.</summary>
    public void Clear() => _allStale = true;

    /// <summary>The host that names <paramref name="service"/> is decided again at the next plan (its ports may differ).</summary>
    public void ServiceChanged(ObjectKey service, RedirectOptions options) => _stale.Add(HostName.ServiceFqdn(service, options.ClusterDomain));

    public RedirectPlan Decide(
        IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> claims,
        IReadOnlyDictionary<ObjectKey, CanalGateway> canalGateways,
        IEnumerable<ClusterService> services,
        RedirectOptions options,
        IReadOnlySet<ObjectKey> withdrawn)
    {
        var (tcpChanged, removed) = (false, false);
        _stale.UnionWith(_coverage.Update(claims, (host, before, now) =>
        {
            tcpChanged |= _tcp.Replace(host, before, now);
            if (now != null)
                _stale.Add(host);
            else
                removed |= _entries.Remove(host);
        }));
        var all = _allStale || tcpChanged || !_withdrawn.SetEquals(withdrawn) || !SameGateways(canalGateways);
        (_canalGateways, _withdrawn) = (canalGateways, [.. withdrawn]);

        var changed = (all ? claims.Keys : _stale.Where(claims.ContainsKey))
            .ToDictionary(h => h, h => claims[h], StringComparer.Ordinal);
        // No verdict changed: the same plan, which tells the DnsWriter so by reference.
        if (_plan != null && changed.Count == 0 && !removed)
        {
            _stale.Clear();
            return _plan;
        }
        if (changed.Count > 0)
        {
            var fresh = RedirectPlanner.Decide(changed, canalGateways, services, options, withdrawn, _tcp, _coverage);
            var redirects = fresh.Redirects.ToDictionary(r => r.Host, StringComparer.Ordinal);
            foreach (var decision in fresh.Decisions)
                _entries[decision.Host] = new Entry(decision, redirects.GetValueOrDefault(decision.Host));
        }
        _allStale = false;
        _stale.Clear();
        return _plan = new RedirectPlan(
            [.. _entries.Values.Where(e => e.Redirect != null).Select(e => e.Redirect!)],
            [.. _entries.Values.Select(e => e.Decision)]);
    }

    /// <summary>The same canal gateways as the last plan's: the same Gateway and Service instances, resolved alike.</summary>
    private bool SameGateways(IReadOnlyDictionary<ObjectKey, CanalGateway> canalGateways) =>
        canalGateways.Count == _canalGateways.Count
        && canalGateways.All(g => _canalGateways.TryGetValue(g.Key, out var held) && held.Equals(g.Value));
}
