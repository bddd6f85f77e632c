namespace Canal.Istio;

/// <summary>
/// What one VirtualService asks of DNS, independent of which gateways turn out to be canal gateways:
/// the gateways it names (not <c>mesh</c>) and its route destinations as fully qualified hosts.
/// </summary>
public sealed record VirtualServiceClaims(
    ObjectKey VirtualService,
    IReadOnlyList<ObjectKey> Gateways,
    IReadOnlyList<HostClaim> Hosts,
    IReadOnlyList<SkippedHost> Skipped)
{
    public const string MeshGateway = "mesh";

    public static VirtualServiceClaims Extract(VirtualService vs, string clusterDomain)
    {
        var gateways = vs.Gateways
            .Where(g => g != MeshGateway)
            .Select(g => ObjectKey.Parse(g, vs.Key.Namespace))
            .Distinct()
            .Order()
            .ToList();
        var hosts = new SortedDictionary<string, HostClaim>(StringComparer.Ordinal);
        var skipped = new List<SkippedHost>();
        foreach (var destination in vs.Destinations)
        {
            var resolution = HostName.Resolve(destination.Host, vs.Key.Namespace, clusterDomain);
            if (resolution.Fqdn is { } fqdn)
                hosts.TryAdd(fqdn, new HostClaim(fqdn, HostName.NamespaceOf(fqdn, clusterDomain, vs.Key.Namespace)));
            else
                skipped.Add(new SkippedHost(destination.Host, destination.Path, resolution.SkipReason!));
        }
        return new VirtualServiceClaims(vs.Key, gateways, [.. hosts.Values], skipped);
    }
}

/// <summary>A fully qualified destination host and the namespace whose NamespaceActor accounts for it.</summary>
public sealed record HostClaim(string Host, string Namespace);

/// <summary>A destination that can never be redirected, with where it was written and why.</summary>
public sealed record SkippedHost(string Host, string Path, string Reason);
