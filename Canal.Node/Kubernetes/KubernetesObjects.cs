using System.Text.Json;
using Canal.Istio;
using k8s.Models;

namespace Canal.Node.Kubernetes;

/// <summary>Kubernetes objects as Canal's model sees them: keys, Services, a gateway EndpointSlice's ready endpoints.</summary>
internal static class KubernetesObjects
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public static ObjectKey KeyOf(JsonElement item)
    {
        var metadata = item.GetProperty("metadata");
        return new ObjectKey(metadata.TryGetProperty("namespace", out var ns) ? ns.GetString() ?? "" : "", metadata.GetProperty("name").GetString() ?? "");
    }

    public static ObjectKey Key(V1ObjectMeta metadata) => new(metadata.NamespaceProperty ?? "", metadata.Name);

    /// <summary>True for a slice that belongs to a Service (the label its controller sets).</summary>
    public static bool HasService(V1EndpointSlice slice) => slice.Metadata.Labels?.ContainsKey(ServiceNameLabel) == true;

    /// <summary>The Service a slice belongs to and how many of its endpoints are ready (unknown counts as ready, as in Kubernetes).</summary>
    public static (ObjectKey Service, int Ready) Readiness(V1EndpointSlice slice) =>
        (new ObjectKey(slice.Metadata.NamespaceProperty ?? "", slice.Metadata.Labels[ServiceNameLabel]),
         slice.Endpoints?.Count(IsReady) ?? 0);

    /// <summary>An endpoint whose readiness is not known counts as ready, as in Kubernetes.</summary>
    public static bool IsReady(V1Endpoint endpoint) => endpoint.Conditions?.Ready != false;

    /// <summary>A namespace's labels, for listeners' namespace selectors.</summary>
    public static IReadOnlyDictionary<string, string> Labels(V1Namespace ns) => new Dictionary<string, string>(ns.Metadata.Labels ?? new Dictionary<string, string>());

    public static ClusterService ToClusterService(V1Service service)
    {
        var spec = service.Spec;
        var ips = spec?.ClusterIPs?.Count > 0 ? spec.ClusterIPs : spec?.ClusterIP is { } ip ? [ip] : [];
        return new ClusterService(
            Key(service.Metadata),
            spec?.Selector is { } selector ? new Dictionary<string, string>(selector) : new Dictionary<string, string>(),
            [.. (spec?.Ports ?? []).Select(p => new ServicePort(p.Port, p.Name, p.Protocol))],
            [.. ips.Where(i => i != "None" && i != "")]);
    }
}
