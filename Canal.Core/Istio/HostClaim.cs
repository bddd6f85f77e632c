namespace Canal.Istio;

/// <summary>
/// One place a route sends a host's traffic: a gateway, a port of it (null: whichever port the gateway
/// serves it on), the kind of route, and the namespace of the VirtualService the gateway serves it from
/// (the root's, for a delegate), which the gateway's server hosts must admit.
/// </summary>
public sealed record RouteBinding(ObjectKey Gateway, int? Port, RouteKind Kind, string Namespace) : IComparable<RouteBinding>
{
    public bool AppliesOn(int port) => Port == null || Port == port;

    public int CompareTo(RouteBinding? other)
    {
        if (other is null)
            return 1;
        var c = Gateway.CompareTo(other.Gateway);
        if (c == 0)
            c = Nullable.Compare(Port, other.Port);
        if (c == 0)
            c = Kind.CompareTo(other.Kind);
        return c != 0 ? c : string.CompareOrdinal(Namespace, other.Namespace);
    }
}

/// <summary>
/// How one VirtualService routes to one host: its bindings, or, when it has none, why the gateway would not route it; and
/// the VirtualService's <see cref="Tables"/> (null in claims stored before they existed: coverage unknown).
/// </summary>
public sealed record HostRoutes(IReadOnlyList<RouteBinding> Bindings, string? Unbound = null)
{
    public IReadOnlyList<RouteTable>? Tables { get; init; }

    public bool Equals(HostRoutes? other) =>
        other is not null && Unbound == other.Unbound && (ReferenceEquals(Bindings, other.Bindings) || Bindings.SequenceEqual(other.Bindings))
        && (ReferenceEquals(Tables, other.Tables) || Tables != null && other.Tables != null && Tables.SequenceEqual(other.Tables));

    public override int GetHashCode() => HashCode.Combine(Bindings.Count, Unbound);

    /// <summary>What a claim stored before bindings existed meant: bound to each gateway it named, on any port, by http routes.</summary>
    public static HostRoutes Legacy(IReadOnlyList<ObjectKey> gateways, string ns) =>
        new([.. gateways.Select(g => new RouteBinding(g, null, RouteKind.Http, ns))]);
}

/// <summary>A fully qualified destination host, the namespace whose NamespaceActor accounts for it, and how it is routed.</summary>
public sealed record HostClaim(string Host, string Namespace, HostRoutes Routes);

/// <summary>A destination that can never be redirected, with where it was written and why.</summary>
public sealed record SkippedHost(string Host, string Path, string Reason);

/// <summary>One VirtualService routing to a host, with where its routes apply.</summary>
public sealed record HostClaimant(ObjectKey VirtualService, HostRoutes Routes)
{
    /// <summary>True when both lists name the same VirtualServices routing the same way, in the same order.</summary>
    public static bool Same(IReadOnlyList<HostClaimant> a, IReadOnlyList<HostClaimant> b) =>
        ReferenceEquals(a, b) || a.Count == b.Count && a.Zip(b).All(p => p.First.VirtualService == p.Second.VirtualService && p.First.Routes.Equals(p.Second.Routes));
}
