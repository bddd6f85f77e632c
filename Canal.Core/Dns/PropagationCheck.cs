using System.Net;

namespace Canal.Dns;

/// <summary>A name a CoreDNS replica is asked after a write, and what its answer must be.</summary>
/// <param name="Redirected">True: the name must answer the gateway's addresses and nothing else; false (a redirect withdrawn): none of them.</param>
/// <param name="GatewayFqdn">The gateway Service the name is (or was) rewritten to; empty when the section gave addresses only.</param>
/// <param name="GatewayIPs">The gateway's addresses when known; without them a replica is asked for <paramref name="GatewayFqdn"/>.</param>
public sealed record NameCheck(string Host, bool Redirected, string GatewayFqdn, IReadOnlyList<string> GatewayIPs)
{
    /// <summary>Whether <paramref name="answer"/> (the addresses a replica gave for <see cref="Host"/>) shows the write, given the gateway's addresses.</summary>
    public bool SatisfiedBy(IReadOnlyCollection<string> answer, IReadOnlyCollection<string> gateway) =>
        Redirected ? answer.Count > 0 && answer.All(gateway.Contains) : !answer.Any(gateway.Contains);
}

/// <summary>
/// What a write can be confirmed by: a few of the names it changed (spread over them, so a write of thousands is still
/// a handful of queries) and what the cluster block says of how CoreDNS picks it up.
/// </summary>
/// <param name="Reloads">False when a cluster block has no <c>reload</c>: CoreDNS reads the Corefile only when it starts.</param>
/// <param name="MetricsPort">Where each replica's <c>prometheus</c> plugin answers, for its reload failures.</param>
public sealed record PropagationCheck(IReadOnlyList<NameCheck> Names, bool? Reloads, int? MetricsPort)
{
    public const int DefaultSample = 3;

    /// <summary>The checks for a write that turned <paramref name="before"/> (the store's text) into <paramref name="update"/>.</summary>
    /// <param name="sample">How many names added (or moved to another gateway), and how many removed, are checked.</param>
    public static PropagationCheck Of(string before, CorefileUpdate update, int sample = DefaultSample)
    {
        var old = Entries(before);
        var now = update.Plan.Redirects.ToDictionary(r => r.Host, StringComparer.Ordinal);
        var added = now.Values
            .Where(r => !old.TryGetValue(r.Host, out var was) || was.Fqdn.Length > 0 && was.Fqdn != r.TargetFqdn || was.IPs.Count > 0 && !was.IPs.SequenceEqual(Normalised(r.TargetIPs)))
            .OrderBy(r => r.Host, StringComparer.Ordinal)
            .Select(r => new NameCheck(r.Host, true, r.TargetFqdn, r.TargetIPs))
            .ToList();
        var removed = old.Where(e => !now.ContainsKey(e.Key))
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => new NameCheck(e.Key, false, e.Value.Fqdn, e.Value.IPs))
            .ToList();
        return new PropagationCheck([.. Spread(added, sample), .. Spread(removed, sample)], update.Reloads, update.MetricsPort);
    }

    /// <summary>What Canal's section (or custom file) in <paramref name="text"/> sends each host to: a gateway's name (rewrite) or addresses (hosts).</summary>
    public static IReadOnlyDictionary<string, (string Fqdn, IReadOnlyList<string> IPs)> Entries(string text)
    {
        var entries = new SortedDictionary<string, (string Fqdn, IReadOnlyList<string> IPs)>(StringComparer.Ordinal);
        foreach (var words in CorefileUpdate.SectionLines(text).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (words is ["rewrite", "name", "exact", var host, var target])
                entries[host] = (target, []);
            else if (words is [var ip, var name] && IPAddress.TryParse(ip, out _))
                entries[name] = ("", [.. entries.TryGetValue(name, out var e) ? e.IPs : [], ip]);
        }
        return entries;
    }

    private static List<string> Normalised(IReadOnlyList<string> ips) =>
        [.. ips.Select(ip => IPAddress.TryParse(ip, out var a) ? a.ToString() : ip).Order(StringComparer.Ordinal)];

    /// <summary>Up to <paramref name="count"/> items from the whole list, first and last included.</summary>
    private static IEnumerable<T> Spread<T>(List<T> items, int count) =>
        items.Count <= count ? items
        : count <= 1 ? items.Take(count)
        : Enumerable.Range(0, count).Select(i => items[(int)((long)i * (items.Count - 1) / (count - 1))]);
}
