namespace Canal.Istio;

/// <summary>A Kubernetes Service: its pod selector, ports and ClusterIPs (empty when not yet assigned).</summary>
public sealed record ClusterService(
    ObjectKey Key,
    IReadOnlyDictionary<string, string> Selector,
    IReadOnlyList<ServicePort> Ports,
    IReadOnlyList<string> ClusterIPs)
{
    /// <summary>Ready endpoints behind it, where the source watches them (a gateway's Service); null when unknown.</summary>
    public int? ReadyEndpoints { get; init; }
}

public sealed record ServicePort(int Port, string? Name, string? Protocol);
