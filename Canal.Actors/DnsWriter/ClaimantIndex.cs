using Canal.Istio;

namespace Canal.DnsWriter;

/// <summary>
/// Every host's claimants, kept up to date as namespaces push their claims. A push re-indexes only the hosts of the
/// claims it changed; every other host keeps its list instance, so <see cref="DecisionCache"/> and <see cref="Coverage"/>
/// recognise it unchanged by reference instead of comparing it, and a plan no longer rebuilds the whole index.
/// A host's claimants are in the order of the namespaces' first push, then of each namespace's claims.
/// </summary>
internal sealed class ClaimantIndex
{
    private readonly Dictionary<string, IReadOnlyList<HostClaimant>> _byHost = new(StringComparer.Ordinal);

    /// <summary>Each host's claimants by the namespace they come from (keyed by that namespace's place in the order).</summary>
    private readonly Dictionary<string, SortedDictionary<int, IReadOnlyList<HostClaimant>>> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _order = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> ByHost => _byHost;

    /// <summary>Takes <paramref name="now"/> in place of <paramref name="before"/> (null: the namespace's first).</summary>
    public void Replace(NamespaceClaims? before, NamespaceClaims now)
    {
        var previous = before?.Claims.ToDictionary(c => c.Claimer) ?? [];
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in now.Claims)
        {
            // Versions only grow: a claim with the version held is the claim held.
            if (previous.Remove(claim.Claimer, out var was) && was.Version == claim.Version)
                continue;
            hosts.UnionWith(claim.Hosts);
            if (was != null)
                hosts.UnionWith(was.Hosts);
        }
        foreach (var gone in previous.Values)
            hosts.UnionWith(gone.Hosts);
        // The namespace's place is its first push's, whether or not that claims anything (as the DnsWriter holds them).
        if (!_order.TryGetValue(now.Namespace, out var place))
            _order[now.Namespace] = place = _order.Count;
        if (hosts.Count == 0)
            return;

        var slices = hosts.ToDictionary(h => h, _ => new List<HostClaimant>(), StringComparer.Ordinal);
        foreach (var claim in now.Claims)
        {
            for (var i = 0; i < claim.Hosts.Count; i++)
            {
                if (slices.TryGetValue(claim.Hosts[i], out var slice))
                    slice.Add(new HostClaimant(claim.Claimer, claim.RoutesOf(i)));
            }
        }
        foreach (var (host, slice) in slices)
        {
            if (!_slices.TryGetValue(host, out var byNamespace))
                _slices[host] = byNamespace = [];
            if (slice.Count > 0)
                byNamespace[place] = slice;
            else
                byNamespace.Remove(place);
            if (byNamespace.Count == 0)
            {
                _slices.Remove(host);
                _byHost.Remove(host);
            }
            else
                _byHost[host] = byNamespace.Count == 1 ? byNamespace.Values.First() : [.. byNamespace.Values.SelectMany(s => s)];
        }
    }
}
