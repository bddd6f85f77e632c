using System.Net;
using Canal.Istio;

namespace Canal.Dns;

/// <summary>Turns redirects into the lines of Canal's section. Sorted, so the same redirects always give the same bytes.</summary>
internal static class SectionRenderer
{
    /// <summary>
    /// TTL of answers from the hosts block. CoreDNS's default of 3600 s would keep a withdrawn redirect
    /// in client caches for an hour; 5 s matches the kubernetes plugin's default.
    /// </summary>
    public const int HostsTtlSeconds = 5;

    /// <param name="marker">The write marker, rendered first so that swapping it for the next write's moves no other line.</param>
    public static IReadOnlyList<SectionLine> Render(DnsMode mode, IReadOnlyList<Redirect> redirects, Redirect? marker = null) => mode switch
    {
        DnsMode.Rewrite => Rewrite(redirects, marker),
        DnsMode.Hosts => Hosts(redirects, marker),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "choose rewrite or hosts before rendering"),
    };

    /// <summary>Why <paramref name="redirect"/> cannot be written in <paramref name="mode"/>, or null when it can.</summary>
    public static string? CannotRender(DnsMode mode, Redirect redirect, string clusterDomain)
    {
        if (!HostName.IsValidDomain(redirect.Host) || !HostName.IsValidDomain(redirect.TargetFqdn))
            return "is not a valid DNS name";
        // The cluster block answers every name (it holds the forward to upstream), so this is the last gate
        // keeping a redirect from taking over a name outside the cluster, whoever built the plan.
        if (!(redirect.Host.Length > clusterDomain.Length && redirect.Host[^(clusterDomain.Length + 1)] == '.' && redirect.Host.EndsWith(clusterDomain, StringComparison.Ordinal)))
            return $"is outside the cluster domain {clusterDomain}";
        if (mode == DnsMode.Hosts && redirect.TargetIPs.Count == 0)
            return $"hosts mode needs the ClusterIP of {redirect.TargetFqdn}, which is not known (give its Service, or use rewrite mode)";
        if (mode == DnsMode.Hosts && redirect.TargetIPs.Any(ip => !IPAddress.TryParse(ip, out _)))
            return $"the gateway Service {redirect.TargetFqdn} has a ClusterIP that is not an IP address";
        return null;
    }

    private static List<SectionLine> Rewrite(IReadOnlyList<Redirect> redirects, Redirect? marker) =>
        [.. (marker == null ? [] : new[] { marker }).Concat(redirects.OrderBy(r => r.Host, StringComparer.Ordinal))
            .Select(r => new SectionLine(0, $"rewrite name exact {r.Host} {r.TargetFqdn}"))];

    private static List<SectionLine> Hosts(IReadOnlyList<Redirect> redirects, Redirect? marker)
    {
        if (redirects.Count == 0)
            return [];
        var lines = new List<SectionLine> { new(0, "hosts {") };
        // Every redirect shares one gateway's few addresses: normalise each once.
        var normalised = new Dictionary<string, string>(StringComparer.Ordinal);
        if (marker != null)
            lines.AddRange(marker.TargetIPs.Select(PropagationCheck.Normalised).Order(StringComparer.Ordinal).Select(ip => new SectionLine(1, $"{ip} {marker.Host}")));
        lines.AddRange(redirects
            .SelectMany(r => r.TargetIPs.Select(ip => (ip: normalised.TryGetValue(ip, out var n) ? n : normalised[ip] = PropagationCheck.Normalised(ip), host: r.Host)))
            .OrderBy(e => e.host, StringComparer.Ordinal).ThenBy(e => e.ip, StringComparer.Ordinal)
            .Select(e => new SectionLine(1, $"{e.ip} {e.host}")));
        // Entries must come before fallthrough; without fallthrough every other name in the zone is SERVFAIL.
        lines.Add(new SectionLine(1, $"ttl {HostsTtlSeconds}"));
        lines.Add(new SectionLine(1, "no_reverse"));
        lines.Add(new SectionLine(1, "fallthrough"));
        lines.Add(new SectionLine(0, "}"));
        return lines;
    }
}
