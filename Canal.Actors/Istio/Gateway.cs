namespace Canal.Istio;

/// <summary>An Istio Gateway: the workload it selects and the ports its servers open.</summary>
public sealed record Gateway(
    ObjectKey Key,
    IReadOnlyDictionary<string, string> Selector,
    IReadOnlyList<GatewayServer> Servers)
{
    public IEnumerable<int> Ports => Servers.Select(s => s.Port).Distinct().Order();
}

public sealed record GatewayServer(int Port, string? Protocol, IReadOnlyList<string> Hosts);
