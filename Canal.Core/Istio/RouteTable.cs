namespace Canal.Istio;

/// <summary>
/// One VirtualService's routes as a gateway serves them: its hosts (the virtual host names), the canal-relevant gateways
/// it is bound and visible to, and its routes in order with the matches that apply there, their weighted destinations or
/// what the gateway answers itself. <see cref="Coverage"/> merges the tables of every VirtualService on a gateway to say
/// what happens to all requests for a name. A delegate's routes are a table of their own, served <see cref="Under"/> the
/// root route that delegates to them (<c>namespace/root spec.http[i]</c>), with the root's matches merged in.
/// Tables travel with claims (<see cref="HostRoutes.Tables"/>), so they are persisted: add fields only as optional.
/// </summary>
public sealed record RouteTable(
    ObjectKey VirtualService,
    string? Under,
    DateTimeOffset? Created,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<ObjectKey> Gateways,
    IReadOnlyList<TableRoute> Routes)
{
    /// <summary>The one gateway port it is served on (a Gateway API listener's); null: wherever its matches apply.</summary>
    public int? Port { get; init; }

    public bool ServedOn(int port) => Port == null || Port == port;

    /// <summary>By content: claims read back from a journal, or derived again, hold equal tables as new instances.</summary>
    public bool Equals(RouteTable? other) =>
        other is not null && (ReferenceEquals(this, other)
            || VirtualService == other.VirtualService && Under == other.Under && Created == other.Created && Port == other.Port
            && Hosts.SequenceEqual(other.Hosts) && Gateways.SequenceEqual(other.Gateways) && Routes.SequenceEqual(other.Routes));

    public override int GetHashCode() => HashCode.Combine(VirtualService, Under, Port, Routes.Count);

    /// <summary>Where a delegate's table is served: under route <paramref name="path"/> of <paramref name="root"/>.</summary>
    public static string UnderOf(ObjectKey root, string path) => $"{root} {path}";
}

/// <summary>
/// A route as a gateway has it. <paramref name="Matches"/> empty: it takes every request there; matches that can never
/// apply at a gateway (client workloads) are left out, and a route left with none is not in the table. Destinations are
/// fully qualified where they name a cluster Service, as written otherwise.
/// </summary>
public sealed record TableRoute(
    RouteKind Kind,
    string Path,
    IReadOnlyList<TableMatch> Matches,
    IReadOnlyList<WeightedHost> Destinations,
    string? Answer = null,
    ObjectKey? Delegate = null)
{
    public bool Equals(TableRoute? other) =>
        other is not null && Kind == other.Kind && Path == other.Path && Answer == other.Answer && Delegate == other.Delegate
        && Matches.SequenceEqual(other.Matches) && Destinations.SequenceEqual(other.Destinations);

    public override int GetHashCode() => HashCode.Combine(Kind, Path, Matches.Count, Destinations.Count);
}

/// <summary>
/// A match that applies at gateways: <paramref name="Gateways"/> (empty: every gateway of the table), <paramref name="Port"/>
/// (null: any), the requests it takes (<paramref name="Request"/>, null: all), and for tls routes the SNI names it takes.
/// </summary>
public sealed record TableMatch(IReadOnlyList<ObjectKey> Gateways, int? Port, string? Request, IReadOnlyList<string> SniHosts, MatchRank? Rank = null)
{
    public bool AppliesOn(ObjectKey gateway, int port) => (Gateways.Count == 0 || Gateways.Contains(gateway)) && (Port == null || Port == port);

    public bool Equals(TableMatch? other) =>
        other is not null && Port == other.Port && Request == other.Request && Rank == other.Rank
        && Gateways.SequenceEqual(other.Gateways) && SniHosts.SequenceEqual(other.SniHosts);

    public override int GetHashCode() => HashCode.Combine(Port, Request, Gateways.Count, SniHosts.Count);
}

/// <summary>A destination and the share of the route's requests it gets, as a weight relative to the route's other destinations.</summary>
public sealed record WeightedHost(string Host, int Weight);
