using Canal.Istio;

namespace Canal.Node.Kubernetes;

/// <summary>
/// The Services as the source publishes them: those in the gateway namespaces with their ready endpoints (summed over
/// their EndpointSlices). An unchanged Service stays the instance published last, as the source's other objects do, so
/// the source recognises it by reference instead of comparing its content on every view.
/// </summary>
internal sealed class ServiceReadiness(IReadOnlyList<string> gatewayNamespaces)
{
    private readonly HashSet<string> _watched = [.. gatewayNamespaces];
    private Dictionary<ObjectKey, (ClusterService Listed, ClusterService Published)> _published = [];

    public IReadOnlyList<ClusterService> Of(IReadOnlyDictionary<ObjectKey, ClusterService> services, IEnumerable<(ObjectKey Service, int Ready)> slices)
    {
        var ready = slices.GroupBy(s => s.Service).ToDictionary(g => g.Key, g => g.Sum(s => s.Ready));
        var published = new Dictionary<ObjectKey, (ClusterService Listed, ClusterService Published)>(_published.Count);
        var view = new List<ClusterService>(services.Count);
        foreach (var service in services.Values)
        {
            if (_watched.Count > 0 && !_watched.Contains(service.Key.Namespace))
            {
                view.Add(service);
                continue;
            }
            var count = ready.GetValueOrDefault(service.Key);
            var kept = _published.TryGetValue(service.Key, out var last) && ReferenceEquals(last.Listed, service) && last.Published.ReadyEndpoints == count
                ? last.Published
                : service with { ReadyEndpoints = count };
            published[service.Key] = (service, kept);
            view.Add(kept);
        }
        _published = published;
        return view;
    }
}
