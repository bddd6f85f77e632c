using Canal.Istio;

namespace Canal.GatewayApi;

/// <summary>The Kubernetes Gateway API objects Canal reads (gateway.networking.k8s.io), kept as written.</summary>
public static class GatewayApiGroup
{
    public const string Name = "gateway.networking.k8s.io";
}

/// <summary>A Gateway: its class, the addresses asked for (manual deployment) and its listeners.</summary>
public sealed record ApiGateway(ObjectKey Key, string ClassName, IReadOnlyList<GatewayAddress> Addresses, IReadOnlyList<Listener> Listeners);

/// <summary><c>spec.addresses[]</c>: <paramref name="Type"/> IPAddress (the default) or Hostname.</summary>
public sealed record GatewayAddress(string Type, string Value);

/// <summary>One listener: where it listens, for which hostname, and which routes it lets attach.</summary>
/// <param name="TlsMode">The listener's <c>tls.mode</c> (Terminate, Passthrough), null without tls.</param>
public sealed record Listener(string Name, int Port, string Protocol, string? Hostname, string? TlsMode, AllowedRoutes Allowed)
{
    /// <summary>A TLS listener that hands the connection on unopened: clients speak TLS to the backend, not to the gateway.</summary>
    public bool Passthrough => string.Equals(TlsMode, "Passthrough", StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>allowedRoutes</c>: from which namespaces (<c>Same</c>, <c>All</c>, <c>Selector</c>) and of which kinds (none: the protocol's).</summary>
public sealed record AllowedRoutes(string From, LabelSelector? Selector, IReadOnlyList<RouteGroupKind> Kinds)
{
    public static readonly AllowedRoutes Default = new("Same", null, []);
}

public sealed record RouteGroupKind(string Group, string Kind);

public enum ApiRouteKind { HTTPRoute, GRPCRoute, TLSRoute, TCPRoute }

/// <summary>A route of any kind: the hostnames it serves (none for TCPRoute), where it attaches, and the backends of all its rules.</summary>
public sealed record ApiRoute(ApiRouteKind Kind, ObjectKey Key, IReadOnlyList<string> Hostnames, IReadOnlyList<ParentRef> Parents, IReadOnlyList<BackendRef> Backends)
{
    /// <summary>Its rules in order, each with its matches, backends and redirect (empty when built from backends alone).</summary>
    public IReadOnlyList<ApiRule> Rules { get; init; } = [];

    /// <summary><c>metadata.creationTimestamp</c>: of routes whose rules tie in precedence, the oldest goes first.</summary>
    public DateTimeOffset? Created { get; init; }
}

/// <summary>
/// One rule (<c>rules[i]</c>): its matches (each a <see cref="RouteMatch.Request"/> text, null for every request, and its
/// precedence; none: the rule takes every request), its backends and, from a <c>RequestRedirect</c> filter, what it answers.
/// </summary>
public sealed record ApiRule(string Path, IReadOnlyList<ApiMatch> Matches, IReadOnlyList<BackendRef> Backends, string? Redirect);

public sealed record ApiMatch(string? Request, MatchRank Rank);

/// <summary><c>parentRefs[]</c> with its defaults filled in: group, kind and (when null) the route's namespace.</summary>
public sealed record ParentRef(string Group, string Kind, string? Namespace, string Name, string? SectionName, int? Port);

/// <summary>A backend of a rule (<c>rules[i].backendRefs[j]</c>, <paramref name="Path"/> says which).</summary>
public sealed record BackendRef(string Group, string Kind, string Name, string? Namespace, int? Port, string Path)
{
    /// <summary>Its share of the rule's requests relative to the other backends' (default 1; 0: none).</summary>
    public int Weight { get; init; } = 1;
}

/// <summary>A ReferenceGrant: in its namespace, objects of the kinds in <paramref name="To"/> may be referred to by those in <paramref name="From"/>.</summary>
public sealed record ReferenceGrant(ObjectKey Key, IReadOnlyList<GrantFrom> From, IReadOnlyList<GrantTo> To);

public sealed record GrantFrom(string Group, string Kind, string Namespace);

/// <summary>A grant's target: <paramref name="Name"/> null allows every object of the kind.</summary>
public sealed record GrantTo(string Group, string Kind, string? Name);

/// <summary>A Kubernetes label selector: <c>matchLabels</c> and <c>matchExpressions</c> (In, NotIn, Exists, DoesNotExist).</summary>
public sealed record LabelSelector(IReadOnlyDictionary<string, string> MatchLabels, IReadOnlyList<LabelExpression> MatchExpressions)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels) =>
        LabelSet.Contain(labels, MatchLabels) && MatchExpressions.All(e => e.Matches(labels));
}

public sealed record LabelExpression(string Key, string Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels) => Operator switch
    {
        "In" => labels.TryGetValue(Key, out var v) && Values.Contains(v),
        "NotIn" => !labels.TryGetValue(Key, out var v) || !Values.Contains(v),
        "Exists" => labels.ContainsKey(Key),
        "DoesNotExist" => !labels.ContainsKey(Key),
        _ => false,
    };
}
