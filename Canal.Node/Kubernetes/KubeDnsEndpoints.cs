using Canal.Propagation;
using k8s;
using k8s.Models;

namespace Canal.Node.Kubernetes;

/// <summary>The CoreDNS replicas behind the kube-dns Service: the ready endpoints of its EndpointSlices, each at its DNS port.</summary>
internal static class KubeDnsEndpoints
{
    public static async Task<IReadOnlyList<CoreDnsReplica>> ListAsync(IKubernetes client, string ns, string service, CancellationToken cancellationToken) =>
        Replicas(await SlicesAsync(client, ns, service, cancellationToken));

    /// <summary>The pods behind the Service, ready or not (each mounts the Corefile), as its EndpointSlices name them.</summary>
    public static async Task<IReadOnlyList<(string Namespace, string Name)>> PodsAsync(IKubernetes client, string ns, string service, CancellationToken cancellationToken) =>
        [.. (await SlicesAsync(client, ns, service, cancellationToken)).SelectMany(s => s.Endpoints ?? [])
            .Where(e => e.TargetRef is { Kind: "Pod", Name: not null })
            .Select(e => (e.TargetRef.NamespaceProperty ?? ns, e.TargetRef.Name))
            .Distinct()
            .Order()];

    private static async Task<IList<V1EndpointSlice>> SlicesAsync(IKubernetes client, string ns, string service, CancellationToken cancellationToken) =>
        (await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: $"{KubernetesObjects.ServiceNameLabel}={service}", cancellationToken: cancellationToken)).Items;

    /// <summary>
    /// One replica per pod: a dual-stack Service has an IPv4 and an IPv6 slice naming the same pods, and the IPv4
    /// address is taken. FQDN slices name no address to ask.
    /// </summary>
    public static IReadOnlyList<CoreDnsReplica> Replicas(IEnumerable<V1EndpointSlice> slices) =>
        [.. slices
            .Where(s => s.AddressType is "IPv4" or "IPv6")
            .OrderBy(s => s.AddressType == "IPv4" ? 0 : 1)
            .SelectMany(Replicas)
            .DistinctBy(r => r.Name)
            .OrderBy(r => r.Name, StringComparer.Ordinal)];

    private static IEnumerable<CoreDnsReplica> Replicas(V1EndpointSlice slice)
    {
        // kube-dns names its UDP port dns (and dns-tcp, metrics); a slice without a UDP port is of no use to a DNS question.
        var ports = slice.Ports ?? [];
        var udp = ports.Where(p => p.Protocol == "UDP" && p.Port != null).ToList();
        if ((udp.FirstOrDefault(p => p.Name == "dns") ?? udp.FirstOrDefault())?.Port is not { } port)
            return [];
        var metrics = ports.FirstOrDefault(p => p.Name == "metrics" && (p.Protocol ?? "TCP") == "TCP")?.Port;
        return (slice.Endpoints ?? [])
            .Where(e => KubernetesObjects.IsReady(e) && e.Addresses?.Count > 0)
            .Select(e => new CoreDnsReplica(e.TargetRef?.Name ?? e.Addresses[0], e.Addresses[0], port, metrics));
    }
}
