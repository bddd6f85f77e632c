namespace Canal.Istio;

/// <summary>
/// A Gateway whose selector picks only canal gateway pods, with the Service that DNS points at: the Service in
/// the Gateway's namespace whose every pod the Gateway configures.
/// </summary>
public sealed record CanalGateway(Gateway Gateway, ObjectKey ServiceKey, string ServiceFqdn, ClusterService? Service)
{
    /// <summary>Why no client can be sent to this gateway (no Service reaches only its pods); null when one can.</summary>
    public string? Unusable { get; init; }

    public ObjectKey Key => Gateway.Key;

    public IReadOnlyList<string> ClusterIPs => Service?.ClusterIPs ?? [];

    /// <summary>Ports clients can reach through this gateway: opened by a server and, when the Service is known, exposed by it.</summary>
    public bool Serves(int port) =>
        Gateway.Servers.Any(s => s.Port == port) && (Service == null || Service.Ports.Any(p => p.Port == port));

    /// <summary>
    /// A selector that contains the canal workload's labels (<c>{app: canal-gateway, tier: payments}</c> for
    /// <c>app=canal-gateway</c>) picks only canal gateway pods, however many more labels it asks for.
    /// </summary>
    /// <remarks>A Gateway that names its own DNS target (a Gateway API Gateway of a canal class) is one by its class.</remarks>
    public static bool IsCanal(Gateway gateway, RedirectOptions options) =>
        gateway.DnsTarget != null || options.GatewayWorkload.Count > 0 && LabelSet.Contain(gateway.Selector, options.GatewayWorkload);

    /// <summary>The canal gateways among <paramref name="gateways"/>, each with its Service resolved.</summary>
    public static IReadOnlyDictionary<ObjectKey, CanalGateway> Find(
        IEnumerable<Gateway> gateways, IEnumerable<ClusterService> services, RedirectOptions options)
    {
        var byNamespace = services.ToLookup(s => s.Key.Namespace);
        var result = new Dictionary<ObjectKey, CanalGateway>();
        foreach (var gateway in gateways.Where(g => IsCanal(g, options)))
        {
            if (gateway.DnsTarget is { } target)
            {
                var targeted = byNamespace[target.Namespace].FirstOrDefault(s => s.Key == target);
                // Until the Service exists (istiod creates an automated deployment's), its name resolves to nothing.
                result[gateway.Key] = new CanalGateway(gateway, target, HostName.ServiceFqdn(target, options.ClusterDomain), targeted)
                {
                    Unusable = targeted == null ? $"its Service {target} does not exist (yet): DNS cannot point at it" : null,
                };
                continue;
            }
            var inNamespace = byNamespace[gateway.Key.Namespace].ToList();
            // A Service whose selector contains the Gateway's sends only to pods the Gateway configures; one that
            // selects fewer labels may also reach canal pods of another Gateway, which would not route these hosts.
            // Prefer the conventionally named one when several qualify.
            var service = inNamespace
                .Where(s => s.Selector.Count > 0 && LabelSet.Contain(s.Selector, gateway.Selector))
                .OrderBy(s => s.Key.Name == options.GatewayServiceName ? 0 : 1)
                .ThenBy(s => s.Key.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            var serviceKey = service?.Key ?? new ObjectKey(gateway.Key.Namespace, options.GatewayServiceName);
            // With no such Service the conventional name is assumed, unless a Service of that name selects other pods.
            var unusable = service == null && inNamespace.FirstOrDefault(s => s.Key.Name == options.GatewayServiceName) is { } other
                ? $"no Service in namespace {gateway.Key.Namespace} sends only to the pods of gateway {gateway.Key} (selector {Labels(gateway.Selector)}); Service {other.Key} selects {Labels(other.Selector)}"
                : null;
            result[gateway.Key] = new CanalGateway(gateway, serviceKey, HostName.ServiceFqdn(serviceKey, options.ClusterDomain), service) { Unusable = unusable };
        }
        return result;
    }

    private static string Labels(IReadOnlyDictionary<string, string> labels) =>
        labels.Count == 0 ? "{}" : "{" + string.Join(", ", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}: {l.Value}")) + "}";
}
