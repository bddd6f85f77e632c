namespace Canal.Istio;

/// <summary>
/// A Gateway whose selector picks the canal gateway workload, with the Service that DNS points at:
/// the Service in the Gateway's namespace that selects the same pods.
/// </summary>
public sealed record CanalGateway(Gateway Gateway, ObjectKey ServiceKey, string ServiceFqdn, ClusterService? Service)
{
    public ObjectKey Key => Gateway.Key;

    public IReadOnlyList<string> ClusterIPs => Service?.ClusterIPs ?? [];

    /// <summary>Ports clients can reach through this gateway: opened by a server and, when the Service is known, exposed by it.</summary>
    public bool Serves(int port) =>
        Gateway.Servers.Any(s => s.Port == port) && (Service == null || Service.Ports.Any(p => p.Port == port));

    public static bool IsCanal(Gateway gateway, RedirectOptions options) =>
        gateway.Selector.Count > 0 && IsSubset(gateway.Selector, options.GatewayWorkload);

    /// <summary>The canal gateways among <paramref name="gateways"/>, each with its Service resolved.</summary>
    public static IReadOnlyDictionary<ObjectKey, CanalGateway> Find(
        IEnumerable<Gateway> gateways, IEnumerable<ClusterService> services, RedirectOptions options)
    {
        var byNamespace = services.ToLookup(s => s.Key.Namespace);
        var result = new Dictionary<ObjectKey, CanalGateway>();
        foreach (var gateway in gateways.Where(g => IsCanal(g, options)))
        {
            // Prefer the conventionally named Service when several select the workload.
            var service = byNamespace[gateway.Key.Namespace]
                .Where(s => s.Selector.Count > 0 && IsSubset(s.Selector, gateway.Selector))
                .OrderBy(s => s.Key.Name == options.GatewayServiceName ? 0 : 1)
                .ThenBy(s => s.Key.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            var serviceKey = service?.Key ?? new ObjectKey(gateway.Key.Namespace, options.GatewayServiceName);
            result[gateway.Key] = new CanalGateway(gateway, serviceKey, HostName.ServiceFqdn(serviceKey, options.ClusterDomain), service);
        }
        return result;
    }

    private static bool IsSubset(IReadOnlyDictionary<string, string> subset, IReadOnlyDictionary<string, string> of) =>
        subset.All(label => of.TryGetValue(label.Key, out var value) && value == label.Value);
}
