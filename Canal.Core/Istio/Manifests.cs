namespace Canal.Istio;

/// <summary>The objects read from a set of manifests, and the documents that could not be used.</summary>
public sealed record Manifests(
    IReadOnlyList<VirtualService> VirtualServices,
    IReadOnlyList<Gateway> Gateways,
    IReadOnlyList<ClusterService> Services,
    IReadOnlyList<ManifestError> Errors)
{
    public static readonly Manifests Empty = new([], [], [], []);

    public Manifests Concat(Manifests other) => new(
        [.. VirtualServices, .. other.VirtualServices],
        [.. Gateways, .. other.Gateways],
        [.. Services, .. other.Services],
        [.. Errors, .. other.Errors]);
}
