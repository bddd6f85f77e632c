namespace Canal.Istio;

/// <summary>
/// The parts of an Istio VirtualService that decide which hosts Canal redirects.
/// Route destinations are kept as written; <see cref="VirtualServiceClaims"/> turns them into host names.
/// </summary>
public sealed record VirtualService(
    ObjectKey Key,
    string? ResourceVersion,
    long Generation,
    IReadOnlyList<string> Gateways,
    IReadOnlyList<RouteDestination> Destinations,
    IReadOnlyList<ObjectKey> Delegates);

/// <summary>A destination of an http, tcp or tls route; <see cref="Path"/> says where it was written.</summary>
public sealed record RouteDestination(string Host, int? Port, string Path);
