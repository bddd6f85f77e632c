using System.Text.Json.Serialization;

namespace Canal.Istio;

/// <summary>
/// The parts of an Istio VirtualService that decide which hosts Canal redirects, kept as written:
/// <see cref="VirtualServiceClaims"/> resolves names and decides which routes apply to which gateway.
/// </summary>
/// <param name="Hosts">The <c>spec.hosts</c> the gateway matches requests against.</param>
/// <param name="ExportTo">The <c>spec.exportTo</c> list; empty means the mesh-wide default.</param>
public sealed record VirtualService(
    ObjectKey Key,
    string? ResourceVersion,
    long Generation,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<string> Gateways,
    IReadOnlyList<string> ExportTo,
    IReadOnlyList<Route> Routes)
{
    [JsonIgnore]
    public IEnumerable<RouteDestination> Destinations => Routes.SelectMany(r => r.Destinations);

    /// <summary>
    /// <c>metadata.creationTimestamp</c>: istiod merges the routes of VirtualServices for the same host on a gateway
    /// oldest first. Null for a manifest file without one.
    /// </summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>
    /// Its routes as the gateway serves them, when they cannot be read from <see cref="Routes"/>: a translated Gateway API
    /// route's (per listener port, with the route's hostnames and rules). Null: derived from the spec.
    /// </summary>
    public IReadOnlyList<RouteTable>? Tables { get; init; }

    /// <summary>The VirtualServices its http routes delegate to.</summary>
    [JsonIgnore]
    public IEnumerable<ObjectKey> Delegates => Routes.Where(r => r.Delegate != null).Select(r => r.Delegate!.Value);
}

public enum RouteKind { Http, Tcp, Tls }

/// <summary>One http, tcp or tls route: where it applies and where it sends traffic (or the VirtualService it delegates to).</summary>
public sealed record Route(RouteKind Kind, string Path, IReadOnlyList<RouteMatch> Matches, IReadOnlyList<RouteDestination> Destinations, ObjectKey? Delegate = null)
{
    /// <summary>What the gateway answers itself instead of forwarding (an http <c>redirect</c> or <c>directResponse</c>); null when it forwards.</summary>
    public string? Answer { get; init; }
}

/// <summary>
/// The parts of a route's match that decide whether it applies on a gateway and port.
/// <paramref name="SourceScoped"/>: the match names <c>sourceLabels</c> or <c>sourceNamespace</c>, which select client workloads.
/// </summary>
public sealed record RouteMatch(IReadOnlyList<string> Gateways, int? Port, bool SourceScoped, IReadOnlyList<string> SniHosts)
{
    /// <summary>Which requests it takes (uri, headers, method, …) as text, as <see cref="RequestConditions"/> writes them; null: every request.</summary>
    public string? Request { get; init; }

    /// <summary>A Gateway API match's precedence among the rules of every route on one hostname; null for a VirtualService's.</summary>
    public MatchRank? Rank { get; init; }
}

/// <summary>A destination of a route; <see cref="Path"/> says where it was written.</summary>
public sealed record RouteDestination(string Host, int? Port, string Path)
{
    /// <summary>The destination's <c>weight</c> (a Gateway API backend's default of 1 filled in); null when not written.</summary>
    public int? Weight { get; init; }

    /// <summary>Why it is known not to be redirected before its name is even looked at (a Gateway API backend that is not a permitted Service).</summary>
    public string? SkipReason { get; init; }
}
