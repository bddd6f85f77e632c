using Canal.Istio;

namespace Canal.GatewayApi;

/// <summary>Why a route does not attach through a parentRef, as the Gateway API's route status says it.</summary>
public enum NotAttached { NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname }

/// <summary>The listeners that accept a route through one parentRef, or why none does.</summary>
public sealed record Attachment(IReadOnlyList<Listener> Listeners, NotAttached? Reason);

/// <summary>
/// Which listeners of a Gateway accept a route, by the Gateway API's rules as Istio applies them: the parentRef's
/// <c>sectionName</c> and <c>port</c> pick listeners (both: one listener must match both); a picked listener must allow
/// the route's kind (its <c>allowedRoutes.kinds</c>, or those of its protocol) and namespace (<c>Same</c>, <c>All</c>,
/// <c>Selector</c>), and share a hostname with it (a listener or a route without hostnames matches any).
/// </summary>
public static class RouteAttachment
{
    private const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    /// <summary>True when <paramref name="parent"/> (of a route in <paramref name="routeNamespace"/>) names <paramref name="gateway"/>.</summary>
    public static bool Names(ParentRef parent, string routeNamespace, ObjectKey gateway) =>
        NamesAGateway(parent) && (parent.Namespace ?? routeNamespace) == gateway.Namespace && parent.Name == gateway.Name;

    /// <summary>True when <paramref name="parent"/> is a Gateway's (not a Service's, as a mesh route's is).</summary>
    public static bool NamesAGateway(ParentRef parent) => parent.Group == GatewayApiGroup.Name && parent.Kind == "Gateway";

    /// <param name="namespaceLabels">The labels of the route's namespace (for a <c>Selector</c>); its name label is implied.</param>
    public static Attachment Attach(ApiRoute route, ParentRef parent, ApiGateway gateway, IReadOnlyDictionary<string, string> namespaceLabels)
    {
        var picked = gateway.Listeners
            .Where(l => (parent.SectionName == null || l.Name == parent.SectionName) && (parent.Port == null || l.Port == parent.Port))
            .ToList();
        if (picked.Count == 0)
            return new([], NotAttached.NoMatchingParent);
        var allowed = picked.Where(l => AllowsKind(l, route.Kind) && AllowsNamespace(l, gateway.Key.Namespace, route.Key.Namespace, namespaceLabels)).ToList();
        if (allowed.Count == 0)
            return new([], NotAttached.NotAllowedByListeners);
        var accepting = allowed.Where(l => SharesHostname(l, route)).ToList();
        return accepting.Count == 0 ? new([], NotAttached.NoMatchingListenerHostname) : new(accepting, null);
    }

    /// <summary>The kinds a listener's protocol carries when <c>allowedRoutes.kinds</c> is empty (Istio's choice; the spec leaves it open).</summary>
    public static IReadOnlyList<ApiRouteKind> KindsOf(Listener listener) => listener.Protocol.ToUpperInvariant() switch
    {
        "HTTP" or "HTTPS" => [ApiRouteKind.HTTPRoute, ApiRouteKind.GRPCRoute],
        "TLS" when listener.Passthrough => [ApiRouteKind.TLSRoute],
        "TLS" => [ApiRouteKind.TLSRoute, ApiRouteKind.TCPRoute],
        "TCP" => [ApiRouteKind.TCPRoute],
        _ => [],
    };

    private static bool AllowsKind(Listener listener, ApiRouteKind kind)
    {
        var carried = KindsOf(listener);
        // An explicit list narrows the protocol's kinds; it cannot add one the protocol does not carry.
        return carried.Contains(kind)
            && (listener.Allowed.Kinds.Count == 0 || listener.Allowed.Kinds.Any(k => k.Group == GatewayApiGroup.Name && k.Kind == kind.ToString()));
    }

    private static bool AllowsNamespace(Listener listener, string gatewayNamespace, string routeNamespace, IReadOnlyDictionary<string, string> labels) =>
        listener.Allowed.From switch
        {
            "All" => true,
            "Selector" => listener.Allowed.Selector is { } selector
                && selector.Matches(new Dictionary<string, string>(labels) { [NamespaceNameLabel] = routeNamespace }),
            _ => routeNamespace == gatewayNamespace,
        };

    private static bool SharesHostname(Listener listener, ApiRoute route) =>
        listener.Hostname == null || route.Hostnames.Count == 0 || route.Hostnames.Any(h => Intersect(listener.Hostname, h));

    /// <summary>
    /// Two hostnames intersect when one covers the other (Istio's host patterns: a wildcard, the whole first label,
    /// covers one or more labels in front of its suffix, so <c>*.example.com</c> covers <c>a.b.example.com</c>, not <c>example.com</c>).
    /// </summary>
    public static bool Intersect(string a, string b) => HostPattern.Covers(a, b) || HostPattern.Covers(b, a);
}
