namespace Canal.Istio;

/// <summary>Delegate VirtualServices are served under the roots whose http routes delegate to them.</summary>
public static class Delegation
{
    /// <summary>For every delegate VirtualService, its roots, ordered by key.</summary>
    public static IReadOnlyDictionary<ObjectKey, IReadOnlyList<VirtualService>> Roots(IEnumerable<VirtualService> all)
    {
        var roots = new Dictionary<ObjectKey, SortedDictionary<ObjectKey, VirtualService>>();
        foreach (var root in all)
        {
            foreach (var target in root.Delegates)
            {
                if (!roots.TryGetValue(target, out var set))
                    roots[target] = set = [];
                set[root.Key] = root;
            }
        }
        return roots.ToDictionary(r => r.Key, r => (IReadOnlyList<VirtualService>)[.. r.Value.Values]);
    }
}
