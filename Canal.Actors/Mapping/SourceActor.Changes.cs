using Canal.Istio;

namespace Canal.Mapping;

/// <summary>Once synced, a view that names what changed delivers only that: work in proportion to the change, not to the cluster.</summary>
public sealed partial class SourceActor
{
    private void DeliverChanges(SourceView view, IReadOnlyDictionary<ObjectKey, VirtualService?> changes)
    {
        var remove = new List<ObjectKey>();
        // The changed VirtualServices still in the view, and the delegates whose roots changed with them.
        var touched = new HashSet<ObjectKey>();
        foreach (var (key, now) in changes)
        {
            var before = _delivered.GetValueOrDefault(key)?.Spec;
            if (ReferenceEquals(before, now))
                continue;
            touched.UnionWith(_delegation.Replace(before, now));
            if (now != null)
                touched.Add(key);
            else if (before != null)
                remove.Add(key);
        }
        var wanted = new Dictionary<ObjectKey, Delivered>();
        var observeNow = new List<Delivered>();
        foreach (var key in touched)
        {
            var spec = changes.TryGetValue(key, out var now) ? now : _delivered.GetValueOrDefault(key)?.Spec;
            if (spec == null)
                continue;
            var delivered = new Delivered(spec, _delegation.RootsOf(key));
            wanted[key] = delivered;
            if (!_delivered.TryGetValue(key, out var seen) || !Same(seen, delivered))
                observeNow.Add(delivered);
        }
        Send(view, sync: false, observeNow, remove, wanted);
    }
}
