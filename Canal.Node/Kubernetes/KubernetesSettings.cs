using Canal.Dns;

namespace Canal.Node.Kubernetes;

/// <summary>What the Kubernetes adapter watches and which ConfigMaps it edits.</summary>
internal sealed record KubernetesSettings
{
    /// <summary>Namespaces whose VirtualServices are watched; empty watches all.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Namespaces whose Gateways and gateway EndpointSlices are watched; empty watches all.</summary>
    public IReadOnlyList<string> GatewayNamespaces { get; init; } = ["istio-system"];

    public string CoreDnsNamespace { get; init; } = "kube-system";
    public string CoreDnsConfigMap { get; init; } = "coredns";
    public string CorefileKey { get; init; } = "Corefile";
    public string BackupConfigMap { get; init; } = "canal-coredns-backup";

    /// <summary>custom mode: the ConfigMap CoreDNS imports (AKS, k3s) and Canal's key in it.</summary>
    public string CustomConfigMap { get; init; } = "coredns-custom";
    public string CustomKey { get; init; } = "canal.override";

    /// <summary>The ConfigMap Canal writes in <paramref name="mode"/> (and the source watches for edits): CoreDNS's own, or coredns-custom in custom mode.</summary>
    public string StoreConfigMap(DnsMode mode) => mode == DnsMode.Custom ? CustomConfigMap : CoreDnsConfigMap;

    /// <summary>A full re-list of everything this often heals whatever a watch missed.</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The gateway namespaces as <c>--gateway-namespace</c> gives them: none means istio-system, <c>*</c> all of them (empty).</summary>
    public static IReadOnlyList<string> GatewayScope(IReadOnlyList<string> given) => given switch
    {
        [] => ["istio-system"],
        var list when list.Contains("*") => [],
        var list => list,
    };

    /// <summary>Server-side watch timeout; the watch is simply re-opened from where it was.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;
}
