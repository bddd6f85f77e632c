namespace Canal.Tests.KubeApi;

/// <summary>How an emulated API server is set up; every default is what the tests usually want.</summary>
public sealed record KubeApiOptions
{
    /// <summary>
    /// The served versions of networking.istio.io, preferred first (the discovery order the real server uses).
    /// Objects are stored at the preferred version and served at whichever version a request names. None: Istio's
    /// CRDs are not installed.
    /// </summary>
    public IReadOnlyList<string> IstioVersions { get; init; } = ["v1", "v1beta1", "v1alpha3"];

    /// <summary>Whether the Gateway API's CRDs are installed.</summary>
    public bool GatewayApi { get; init; } = true;

    /// <summary>How many watch events are kept for replay; older ones are compacted away (watch → 410 Expired).</summary>
    public int WatchHistory { get; init; } = 1000;

    /// <summary>
    /// How many revisions of each object are kept, for lists at an earlier resourceVersion and for
    /// <see cref="KubeApiServer.Revisions"/>. Benchmarks keep few, so a ConfigMap rewritten thousands of times
    /// does not hold every version of it.
    /// </summary>
    public int RevisionsKept { get; init; } = int.MaxValue;

    /// <summary>How often a watch that allows bookmarks gets one (the real server: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The version /version reports. kubectl here is a dispatcher that runs the kubectl matching the server's
    /// minor version, so this decides which kubectl the tests really drive.
    /// </summary>
    public string KubernetesVersion { get; init; } = "v1.32.4";

    /// <summary>Namespaces that exist from the start (a real cluster has the first four; Istio adds istio-system).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"];
}
