using Canal.Istio;

namespace Canal.GatewayApi;

/// <summary>
/// Each route's translation kept between views. A route is translated again only when what it depends on is not what it
/// was: the route itself, the canal gateways its parents name, its namespace's labels (each compared as the instance the
/// source keeps while an object is unchanged), and the ReferenceGrants (any change translates every route again). An
/// unchanged route keeps its VirtualService instance, so the delivery after it recognises it without comparing it.
/// </summary>
public sealed class TranslationCache
{
    private sealed record Entry(ApiRoute Route, IReadOnlyList<ApiGateway?> Parents, IReadOnlyDictionary<string, string>? Labels,
        (VirtualService? VirtualService, IReadOnlyList<ApiProblem> Problems) Translation);

    private Dictionary<(ApiRouteKind, ObjectKey), Entry> _routes = [];
    private Dictionary<(ApiRouteKind, ObjectKey), Entry> _seen = [];
    private IReadOnlyList<ReferenceGrant> _grants = [];
    private RedirectOptions? _options;

    /// <summary>Routes translated (not taken from the cache) since it was made: what a test or a benchmark can count.</summary>
    internal long Translated { get; private set; }

    internal void Begin(GatewayApiObjects objects, RedirectOptions options)
    {
        if (!ReferenceEquals(options, _options) || !objects.Grants.SequenceEqual(_grants, ReferenceEqualityComparer.Instance))
            _routes = [];
        (_options, _grants, _seen) = (options, objects.Grants, []);
    }

    internal (VirtualService? VirtualService, IReadOnlyList<ApiProblem> Problems) Of(ApiRoute route, IReadOnlyDictionary<ObjectKey, ApiGateway> canal, GatewayApiObjects objects)
    {
        var key = (route.Kind, route.Key);
        IReadOnlyList<ApiGateway?> parents = [.. GatewayApiTranslation.ParentsOf(route, canal)];
        var labels = objects.NamespaceLabels.GetValueOrDefault(route.Key.Namespace);
        if (!_routes.TryGetValue(key, out var entry) || !ReferenceEquals(entry.Route, route) || !ReferenceEquals(entry.Labels, labels)
            || !entry.Parents.SequenceEqual(parents, ReferenceEqualityComparer.Instance))
        {
            Translated++;
            entry = new Entry(route, parents, labels, GatewayApiTranslation.Translate(route, parents, objects, _options!));
        }
        _seen[key] = entry;
        return entry.Translation;
    }

    /// <summary>Forgets the routes the view no longer has.</summary>
    internal void End() => (_routes, _seen) = (_seen, []);
}
