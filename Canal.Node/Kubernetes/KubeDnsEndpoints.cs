using Canal.Propagation;
using k8s;
using k8s.Models;

namespace Canal.Node.Kubernetes;

/// <summary>The CoreDNS replicas behind the kube-dns Service: the ready endpoints of its EndpointSlices, each at its DNS port.</summary>
internal static class KubeDnsEndpoints
{
    public static async Task<IReadOnlyList<CoreDnsReplica>> ListAsync(IKubernetes client, string ns, string service, CancellationToken cancellationToken)
    {
        var slices = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: $"kubernetes.io/service-name={service}", cancellationToken: cancellationToken);
        return [.. slices.Items.SelectMany(Replicas).DistinctBy(r => (r.Address, r.Port)).OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    private static IEnumerable<CoreDnsReplica> Replicas(V1EndpointSlice slice)
    {
        // kube-dns names its UDP port dns (and dns-tcp, metrics); a slice without one is of no use to a DNS question.
        var udp = (slice.Ports ?? []).Where(p => (p.Protocol ?? "TCP") == "UDP" && p.Port != null).ToList();
        if ((udp.FirstOrDefault(p => p.Name == "dns") ?? udp.FirstOrDefault())?.Port is not { } port)
            return [];
        return (slice.Endpoints ?? [])
            .Where(e => e.Conditions?.Ready != false && e.Addresses?.Count > 0)
            .Select(e => new CoreDnsReplica(e.TargetRef?.Name ?? e.Addresses[0], e.Addresses[0], port));
    }
}
