namespace Canal.Istio;

/// <summary>
/// Every delegate VirtualService's roots (<see cref="Delegation.Roots"/>), kept up to date one changed VirtualService at
/// a time, so a change costs its own delegations rather than a walk over every VirtualService.
/// </summary>
internal sealed class DelegationIndex
{
    private Dictionary<ObjectKey, IReadOnlyList<VirtualService>> _roots = [];

    /// <summary>The roots of <paramref name="key"/>, ordered by key; empty for a VirtualService nothing delegates to.</summary>
    public IReadOnlyList<VirtualService> RootsOf(ObjectKey key) => _roots.GetValueOrDefault(key) ?? [];

    /// <summary>Indexes <paramref name="all"/> afresh.</summary>
    public void Rebuild(IEnumerable<VirtualService> all) => _roots = new(Delegation.Roots(all));

    /// <summary>Takes <paramref name="now"/> in place of <paramref name="before"/> (null: none); answers the delegates whose roots changed.</summary>
    public IReadOnlyList<ObjectKey> Replace(VirtualService? before, VirtualService? now)
    {
        var root = (now ?? before)?.Key;
        if (root == null)
            return [];
        var targets = (before?.Delegates ?? []).Concat(now?.Delegates ?? []).Distinct().ToList();
        foreach (var target in targets)
        {
            IEnumerable<VirtualService> roots = RootsOf(target).Where(r => r.Key != root);
            if (now != null && now.Delegates.Contains(target))
                roots = roots.Append(now);
            var ordered = roots.OrderBy(r => r.Key).ToList();
            if (ordered.Count > 0)
                _roots[target] = ordered;
            else
                _roots.Remove(target);
        }
        return targets;
    }
}
