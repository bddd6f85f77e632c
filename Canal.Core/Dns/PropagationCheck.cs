using System.Net;

namespace Canal.Dns;

/// <summary>A name a CoreDNS replica is asked after a write, and what its answer must be.</summary>
/// <param name="Redirected">True: the name must answer the gateway's addresses and nothing else; false (a redirect withdrawn): none of them.</param>
/// <param name="GatewayFqdn">Rewrite mode: the gateway Service the name is (or was) rewritten to, whose addresses each replica is asked for.</param>
/// <param name="GatewayIPs">Hosts mode: the addresses the section gives the name.</param>
internal sealed record NameCheck(string Host, bool Redirected, string GatewayFqdn, IReadOnlyList<string> GatewayIPs)
{
    /// <summary>Whether <paramref name="answer"/> (the addresses a replica gave for <see cref="Host"/>) shows the write, given the gateway's addresses.</summary>
    public bool SatisfiedBy(IReadOnlyCollection<string> answer, IReadOnlyCollection<string> gateway) =>
        Redirected ? answer.Count > 0 && answer.All(gateway.Contains) : !answer.Any(gateway.Contains);
}

/// <summary>What Canal's section sends a host to: a gateway's name (rewrite, custom) or addresses (hosts).</summary>
internal sealed record SectionEntry(string Fqdn, IReadOnlyList<string> IPs)
{
    public bool SameAs(SectionEntry other) => Fqdn == other.Fqdn && IPs.SequenceEqual(other.IPs);
}

/// <summary>
/// What a write can be confirmed by: a few of the names it changed and a few of those that differ from what the
/// replicas were last known to serve, spread over them, so a write of thousands is still a handful of questions;
/// and what the Corefile says of how CoreDNS picks it up.
/// </summary>
/// <param name="Reloads">False when no server block has <c>reload</c>: CoreDNS reads the Corefile only when it starts.</param>
/// <param name="MetricsPort">Where each replica's <c>prometheus</c> plugin answers, for its reload failures.</param>
internal sealed record PropagationCheck(IReadOnlyList<NameCheck> Names, bool? Reloads, int? MetricsPort)
{
    public const int DefaultSample = 3;

    /// <summary>
    /// The checks for <paramref name="update"/>: up to <paramref name="sample"/> names added (or moved) and as many removed
    /// since <paramref name="before"/> (the text it replaced), and as many again since <paramref name="served"/> (the
    /// section the replicas were last known to serve; the same object when that is <paramref name="before"/>). The first
    /// show the write itself; the second keep a replica still on an older section from passing only because this write
    /// undid something it never loaded.
    /// </summary>
    public static PropagationCheck Of(CorefileUpdate update, IReadOnlyDictionary<string, SectionEntry> before, IReadOnlyDictionary<string, SectionEntry> served, int sample = DefaultSample)
    {
        var now = Entries(update);
        var own = Changes(before, now, sample);
        if (ReferenceEquals(served, before))
            return new PropagationCheck(own, update.Reloads, update.MetricsPort);
        var picked = own.Select(n => n.Host).ToHashSet(StringComparer.Ordinal);
        return new PropagationCheck([.. own, .. Changes(served, now, sample, picked)], update.Reloads, update.MetricsPort);
    }

    /// <summary>The section <paramref name="update"/> writes, host by host.</summary>
    public static IReadOnlyDictionary<string, SectionEntry> Entries(CorefileUpdate update) =>
        update.Plan.Redirects.ToDictionary(r => r.Host, r => update.Mode == DnsMode.Hosts
            ? new SectionEntry("", [.. r.TargetIPs.Select(Normalised).Order(StringComparer.Ordinal)])
            : new SectionEntry(r.TargetFqdn, []), StringComparer.Ordinal);

    /// <summary>What Canal's section (or custom file) in <paramref name="text"/> sends each host to.</summary>
    public static IReadOnlyDictionary<string, SectionEntry> Entries(string text)
    {
        var entries = new SortedDictionary<string, SectionEntry>(StringComparer.Ordinal);
        foreach (var words in CorefileUpdate.SectionLines(text).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (words is ["rewrite", "name", "exact", var host, var target])
                entries[host] = new SectionEntry(target, []);
            else if (words is [var ip, var name] && IPAddress.TryParse(ip, out _))
                entries[name] = new SectionEntry("", [.. (entries.TryGetValue(name, out var e) ? e.IPs : []).Append(Normalised(ip)).Order(StringComparer.Ordinal)]);
        }
        return entries;
    }

    /// <summary>An address as every part of the probe writes it (<c>IPAddress.ToString</c>), or as it is when it is not one.</summary>
    public static string Normalised(string ip) => IPAddress.TryParse(ip, out var address) ? address.ToString() : ip;

    private static List<NameCheck> Changes(IReadOnlyDictionary<string, SectionEntry> from, IReadOnlyDictionary<string, SectionEntry> to, int sample, IReadOnlySet<string>? skip = null)
    {
        var added = to.Where(e => skip?.Contains(e.Key) != true && !(from.TryGetValue(e.Key, out var was) && was.SameAs(e.Value)))
            .Select(e => new NameCheck(e.Key, true, e.Value.Fqdn, e.Value.IPs))
            .OrderBy(n => n.Host, StringComparer.Ordinal)
            .ToList();
        var removed = from.Where(e => skip?.Contains(e.Key) != true && !to.ContainsKey(e.Key))
            .Select(e => new NameCheck(e.Key, false, e.Value.Fqdn, e.Value.IPs))
            .OrderBy(n => n.Host, StringComparer.Ordinal)
            .ToList();
        return [.. Spread(added, sample), .. Spread(removed, sample)];
    }

    /// <summary>Up to <paramref name="count"/> items from the whole list, first and last included.</summary>
    private static IEnumerable<T> Spread<T>(List<T> items, int count) =>
        items.Count <= count ? items
        : count <= 1 ? items.Take(count)
        : Enumerable.Range(0, count).Select(i => items[(int)((long)i * (items.Count - 1) / (count - 1))]);
}
