namespace Canal.Istio;

/// <summary>What a canal gateway does with every request for a name (docs/architecture.md, "Coverage").</summary>
public enum CoverageKind
{
    /// <summary>Every request is routed to the name's own Service.</summary>
    Full,

    /// <summary>Some requests are routed to it; the rest match no route and get a 404 from the gateway.</summary>
    Partial,

    /// <summary>Some or all requests go to other Services, or are answered by the gateway itself.</summary>
    Shared,

    /// <summary>No request reaches it: never redirected.</summary>
    None,
}

/// <summary>
/// The coverage of one name: the outcome, a one-line summary, and the routes that take its requests, in the order the
/// gateway tries them, each with the requests it takes and where they go.
/// </summary>
public sealed record HostCoverage(CoverageKind Kind, string Summary, IReadOnlyList<string> Routes)
{
    /// <summary>The gateway port it was judged on: of several, the one whose coverage is worst.</summary>
    public int? Port { get; init; }

    /// <summary>True when some requests for the name match no route: the gateway answers them 404.</summary>
    public bool FallsThrough { get; init; }

    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}: {Summary}";
}
