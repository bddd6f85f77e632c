using Canal.GatewayApi;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// Where the objects come from: a directory of manifests in local mode, the Kubernetes API in a cluster.
/// An adapter only reports what exists; <see cref="SourceActor"/> turns that into the pipeline's messages.
/// </summary>
public interface IObjectSource : IDisposable
{
    /// <summary>
    /// Starts watching. <paramref name="onView"/> gets the complete current view once everything has been
    /// listed, and again whenever it changes; <paramref name="onStoreChanged"/> is called when the DNS
    /// configuration itself changed under Canal (someone edited it), so it can be checked again.
    /// Both may be called from any thread.
    /// </summary>
    void Start(Action<SourceView> onView, Action onStoreChanged);
}

/// <summary>Asks the source singleton what it knows (<see cref="SourceStatus"/>).</summary>
public sealed record GetSourceStatus : Serialization.ICanalMessage
{
    public static readonly GetSourceStatus Instance = new();
}

/// <summary>Whether the last sync completed (and was complete), and every VirtualService in the source's view.</summary>
public sealed record SourceStatus(bool Synced, bool Complete, IReadOnlyList<VirtualServiceSummary> VirtualServices) : Serialization.ICanalMessage;

/// <summary>A VirtualService as written: the gateways it names and its route destinations.</summary>
public sealed record VirtualServiceSummary(ObjectKey Key, IReadOnlyList<string> Gateways, IReadOnlyList<string> Destinations);

/// <summary>
/// Every VirtualService, Gateway and Service the source knows, as of now. <paramref name="Complete"/> is false
/// while some object could not be read and has no last good version (a broken file right after a start):
/// then what is missing may still exist, and nothing may be swept because of its absence.
/// </summary>
public sealed record SourceView(
    IReadOnlyList<VirtualService> VirtualServices,
    IReadOnlyList<Gateway> Gateways,
    IReadOnlyList<ClusterService> Services,
    bool Complete = true)
{
    /// <summary>
    /// The VirtualServices that changed since the adapter's previous view, by key (null where deleted), so that once
    /// synced only they travel on; null when not known (the first view, a listing again, a Gateway API change: then
    /// the whole view is compared). An adapter that names changes hands its views on in the order it made them.
    /// The Gateways and Services are still compared whole, by reference.
    /// </summary>
    public IReadOnlyDictionary<ObjectKey, VirtualService?>? ChangedVirtualServices { get; init; }

    /// <summary>The Gateway API's objects as read; <see cref="Translated"/> adds what they mean to the Istio ones.</summary>
    public GatewayApiObjects GatewayApi { get; init; } = GatewayApiObjects.Empty;

    /// <summary>The view with the Gateway API translated into Gateways and VirtualServices (<see cref="GatewayApiTranslation"/>), and what could not be.</summary>
    /// <param name="cache">Keeps each route's translation from the last view: an unchanged route is not translated again.</param>
    public (SourceView View, IReadOnlyList<ApiProblem> Problems) Translated(RedirectOptions options, TranslationCache cache)
    {
        var all = GatewayApiTranslation.With(VirtualServices, Gateways, GatewayApi, options, cache);
        return (this with { VirtualServices = all.VirtualServices, Gateways = all.Gateways, GatewayApi = GatewayApiObjects.Empty }, all.Problems);
    }
}
