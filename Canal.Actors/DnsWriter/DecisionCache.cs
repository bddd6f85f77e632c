using Canal.Dns;
using Canal.Istio;

namespace Canal.DnsWriter;

/// <summary>
/// The DnsWriter decides every host on every write; with 10k hosts that was ~50 ms of a steady change's
/// latency. This keeps each host's verdict from the last plan and decides again only the hosts whose claimants
/// changed. A verdict also depends on the gateways and the Services: whoever changes those calls <see cref="Clear"/>.
/// It also depends on which gateways are withdrawn and which hosts share a gateway's TCP ports, which the cache
/// sees for itself, as it sees which hosts the route tables of changed VirtualServices cover (their coverage may change).
/// </summary>
internal sealed class DecisionCache
{
    private Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private TcpPorts? _tcp;
    private readonly Coverage _coverage = new();
    private HashSet<ObjectKey> _withdrawn = [];

    private sealed record Entry(IReadOnlyList<HostClaimant> Claimants, HostDecision Decision, Redirect? Redirect);

    public void Clear() => _entries.Clear();

    public RedirectPlan Decide(
        IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> claims,
        IReadOnlyDictionary<ObjectKey, CanalGateway> canalGateways,
        IEnumerable<ClusterService> services,
        RedirectOptions options,
        IReadOnlySet<ObjectKey> withdrawn)
    {
        // A host's verdict depends on the other hosts on its TCP ports: when they change, every host is decided again.
        var tcp = TcpPorts.Of(claims);
        if (!tcp.Equals(_tcp) || !_withdrawn.SetEquals(withdrawn))
            Clear();
        // A host's coverage depends on the routes of every VirtualService whose hosts cover it, not only its claimants'.
        var covered = _coverage.Update(claims);
        (_tcp, _withdrawn) = (tcp, [.. withdrawn]);
        var changed = claims
            .Where(c => covered.Contains(c.Key) || !(_entries.TryGetValue(c.Key, out var entry) && HostClaimant.Same(entry.Claimants, c.Value)))
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var entries = new Dictionary<string, Entry>(claims.Count, StringComparer.Ordinal);
        if (changed.Count > 0)
        {
            var fresh = RedirectPlanner.Decide(changed, canalGateways, services, options, withdrawn, tcp, _coverage);
            var redirects = fresh.Redirects.ToDictionary(r => r.Host, StringComparer.Ordinal);
            foreach (var decision in fresh.Decisions)
                entries[decision.Host] = new Entry(changed[decision.Host], decision, redirects.GetValueOrDefault(decision.Host));
        }
        foreach (var host in claims.Keys.Where(h => !changed.ContainsKey(h)))
            entries[host] = _entries[host];
        _entries = entries;

        var ordered = entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Value).ToList();
        return new RedirectPlan([.. ordered.Where(e => e.Redirect != null).Select(e => e.Redirect!)], [.. ordered.Select(e => e.Decision)]);
    }

}
