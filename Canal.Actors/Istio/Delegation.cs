namespace Canal.Istio;

/// <summary>Delegate VirtualServices are served under the gateways of the roots that delegate to them.</summary>
public static class Delegation
{
    /// <summary>For every delegate VirtualService, the gateways (not <c>mesh</c>) of its roots.</summary>
    public static IReadOnlyDictionary<ObjectKey, IReadOnlyList<ObjectKey>> InheritedGateways(IEnumerable<VirtualService> all, string clusterDomain)
    {
        var inherited = new Dictionary<ObjectKey, SortedSet<ObjectKey>>();
        foreach (var root in all.Where(v => v.Delegates.Count > 0))
        {
            var gateways = VirtualServiceClaims.Extract(root, clusterDomain).Gateways;
            foreach (var target in root.Delegates)
            {
                if (!inherited.TryGetValue(target, out var set))
                    inherited[target] = set = [];
                set.UnionWith(gateways);
            }
        }
        return inherited.ToDictionary(i => i.Key, i => (IReadOnlyList<ObjectKey>)[.. i.Value]);
    }
}
