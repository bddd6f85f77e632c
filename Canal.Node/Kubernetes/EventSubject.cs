using Canal.GatewayApi;
using Canal.Istio;
using k8s.Models;

namespace Canal.Node.Kubernetes;

/// <summary>The object an Event of a claimer is about: the VirtualService itself, or the Gateway API route it was translated from.</summary>
internal static class EventSubject
{
    public static V1ObjectReference Of(ObjectKey claimer) =>
        GatewayApiTranslation.RouteOf(claimer) is { } route
            ? new V1ObjectReference { ApiVersion = $"{GatewayApiGroup.Name}/v1", Kind = route.Kind.ToString(), Name = route.Key.Name, NamespaceProperty = route.Key.Namespace }
            : new V1ObjectReference { ApiVersion = $"{ManifestDecoder.IstioGroup}/v1", Kind = "VirtualService", Name = claimer.Name, NamespaceProperty = claimer.Namespace };

    /// <summary>The claimer an Event Canal posted is about; null for an Event about anything else.</summary>
    public static ObjectKey? ClaimerOf(V1ObjectReference subject, string? eventNamespace)
    {
        var key = new ObjectKey(subject.NamespaceProperty ?? eventNamespace ?? "", subject.Name ?? "");
        if (subject.Kind == "VirtualService")
            return key;
        return Enum.TryParse<ApiRouteKind>(subject.Kind, out var kind) && subject.ApiVersion?.StartsWith(GatewayApiGroup.Name + "/", StringComparison.Ordinal) == true
            ? GatewayApiTranslation.KeyOf(kind, key)
            : null;
    }
}
