using Canal.GatewayApi;
using Canal.Istio;

namespace Canal.Reading;

/// <summary>The objects read from a set of manifests, and the documents that could not be used.</summary>
public sealed record Manifests(
    IReadOnlyList<VirtualService> VirtualServices,
    IReadOnlyList<Gateway> Gateways,
    IReadOnlyList<ClusterService> Services,
    IReadOnlyList<ManifestError> Errors)
{
    public static readonly Manifests Empty = new([], [], [], []);

    /// <summary>Gateway API objects, read as they are: <see cref="Plannable"/> turns them into Canal's model.</summary>
    public GatewayApiObjects GatewayApi { get; init; } = GatewayApiObjects.Empty;

    public Manifests Concat(Manifests other) => new(
        [.. VirtualServices, .. other.VirtualServices],
        [.. Gateways, .. other.Gateways],
        [.. Services, .. other.Services],
        [.. Errors, .. other.Errors])
    {
        GatewayApi = GatewayApi.Concat(other.GatewayApi),
    };

    /// <summary>
    /// The VirtualServices and Gateways to plan with: Istio's own, and those the Gateway API's objects translate into
    /// (with what could not be translated).
    /// </summary>
    public Translation Plannable(RedirectOptions options) =>
        GatewayApiTranslation.With(VirtualServices, Gateways, GatewayApi, options);
}
