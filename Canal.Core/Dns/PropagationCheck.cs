using System.Net;
using Canal.Istio;

namespace Canal.Dns;

/// <summary>A name a CoreDNS replica is asked after a write, and what its answer must be.</summary>
/// <param name="Redirected">True: the name must answer the gateway's addresses and nothing else; false (a redirect withdrawn): none of them.</param>
/// <param name="GatewayFqdn">Rewrite mode: the gateway Service the name is (or was) rewritten to, whose addresses each replica is asked for.</param>
/// <param name="GatewayIPs">Hosts mode: the addresses the section gives the name.</param>
internal sealed record NameCheck(string Host, bool Redirected, string GatewayFqdn, IReadOnlyList<string> GatewayIPs)
{
    /// <summary>
    /// Whether <paramref name="answer"/> (the addresses of one family a replica gave for <see cref="Host"/>) shows the
    /// write: exactly the gateway's addresses of that family (<paramref name="gateway"/>), or none of them.
    /// </summary>
    public bool SatisfiedBy(IReadOnlyCollection<string> answer, IReadOnlyCollection<string> gateway) =>
        Redirected ? answer.Count > 0 && answer.All(gateway.Contains) && gateway.All(answer.Contains) : !answer.Any(gateway.Contains);
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
/// <param name="Marker">The write's <see cref="WriteMarker"/>: a replica that answers it (or a later write's) serves this write; null when the section is empty.</param>
/// <param name="Reloads">False when no server block has <c>reload</c>: CoreDNS reads the Corefile only when it starts.</param>
/// <param name="MetricsPort">Where each replica's <c>prometheus</c> plugin answers, for its reload failures.</param>
internal sealed record PropagationCheck(IReadOnlyList<NameCheck> Names, NameCheck? Marker, bool? Reloads, int? MetricsPort)
{
    public const int DefaultSample = 3;

    /// <summary>
    /// The checks for <paramref name="update"/> (whose section is <paramref name="now"/>): up to <paramref name="sample"/>
    /// names added (or moved) and as many removed of <paramref name="changed"/> (its changes to <paramref name="before"/>,
    /// the section it replaced: <see cref="Changed"/>); up to twice
    /// that of <paramref name="carried"/> (the checks of earlier writes not yet live), as this write has them; and as many
    /// again of those that differ from <paramref name="served"/> (what the replicas were last known to serve; the same
    /// object when that is <paramref name="before"/>). The first show the write itself; the others keep a replica still on
    /// an older section from passing only because this write undid something it never loaded.
    /// </summary>
    public static PropagationCheck Of(
        CorefileUpdate update,
        IReadOnlyDictionary<string, SectionEntry> now,
        IReadOnlyDictionary<string, SectionEntry> before,
        IReadOnlySet<string> changed,
        IReadOnlyDictionary<string, SectionEntry> served,
        IEnumerable<NameCheck> carried,
        int sample = DefaultSample)
    {
        var names = Checks(before, now, changed, sample);
        var picked = names.Select(n => n.Host).ToHashSet(StringComparer.Ordinal);
        names.AddRange(carried.Where(c => picked.Add(c.Host)).Take(2 * sample)
            .Select(c => now.TryGetValue(c.Host, out var e) ? new NameCheck(c.Host, true, e.Fqdn, e.IPs) : c with { Redirected = false }));
        if (!ReferenceEquals(served, before))
            names.AddRange(Checks(served, now, Changed(served, now).Where(h => !picked.Contains(h)), sample));
        return new PropagationCheck(names, MarkerOf(update), update.Reloads, update.MetricsPort);
    }

    /// <summary>What <paramref name="update"/>'s marker must answer: its gateway, as the section says it.</summary>
    private static NameCheck? MarkerOf(CorefileUpdate update) =>
        update.Marker is { } m && EntryOf(m, update.Mode) is var entry ? new NameCheck(m.Host, true, entry.Fqdn, entry.IPs) : null;

    /// <summary>What the section sends <paramref name="redirect"/>'s host to in <paramref name="mode"/>.</summary>
    private static SectionEntry EntryOf(Redirect redirect, DnsMode mode) => mode != DnsMode.Hosts
        ? new SectionEntry(redirect.TargetFqdn, [])
        : new SectionEntry("", [.. redirect.TargetIPs.Select(Normalised).Distinct().Order(StringComparer.Ordinal)]);

    /// <summary>Every host whose entry differs between <paramref name="before"/> and <paramref name="now"/>: added, removed or moved.</summary>
    public static HashSet<string> Changed(IReadOnlyDictionary<string, SectionEntry> before, IReadOnlyDictionary<string, SectionEntry> now)
    {
        var changed = now.Where(e => !(before.TryGetValue(e.Key, out var was) && was.SameAs(e.Value))).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        changed.UnionWith(before.Keys.Where(h => !now.ContainsKey(h)));
        return changed;
    }

    /// <summary>Checks for up to <paramref name="sample"/> of <paramref name="hosts"/> now in <paramref name="to"/>, and as many gone from it.</summary>
    private static List<NameCheck> Checks(IReadOnlyDictionary<string, SectionEntry> from, IReadOnlyDictionary<string, SectionEntry> to, IEnumerable<string> hosts, int sample)
    {
        var sorted = hosts.Order(StringComparer.Ordinal).ToList();
        var added = sorted.Where(to.ContainsKey).Select(h => new NameCheck(h, true, to[h].Fqdn, to[h].IPs)).ToList();
        var removed = sorted.Where(h => !to.ContainsKey(h)).Select(h => new NameCheck(h, false, from[h].Fqdn, from[h].IPs)).ToList();
        return [.. Spread(added, sample), .. Spread(removed, sample)];
    }

    /// <summary>The section <paramref name="update"/> writes, host by host.</summary>
    public static IReadOnlyDictionary<string, SectionEntry> Entries(CorefileUpdate update)
    {
        // Every redirect shares one gateway's few addresses (and often the same list): each list is made once.
        var lists = new Dictionary<IReadOnlyList<string>, SectionEntry>(ReferenceEqualityComparer.Instance);
        var byName = new Dictionary<string, SectionEntry>(StringComparer.Ordinal);
        var entries = new Dictionary<string, SectionEntry>(update.Plan.Redirects.Count, StringComparer.Ordinal);
        foreach (var r in update.Plan.Redirects)
        {
            entries[r.Host] = update.Mode != DnsMode.Hosts
                ? byName.TryGetValue(r.TargetFqdn, out var named) ? named : byName[r.TargetFqdn] = EntryOf(r, update.Mode)
                : lists.TryGetValue(r.TargetIPs, out var listed) ? listed : lists[r.TargetIPs] = EntryOf(r, update.Mode);
        }
        return entries;
    }

    /// <summary>What Canal's section (or custom file) in <paramref name="text"/> sends each host to; its write marker is not a host.</summary>
    public static IReadOnlyDictionary<string, SectionEntry> Entries(string text)
    {
        var entries = new Dictionary<string, SectionEntry>(StringComparer.Ordinal);
        // A section of 100k hosts names a gateway's few addresses 100k times: each is read and given its entry once.
        var single = new Dictionary<string, SectionEntry>(StringComparer.Ordinal);
        foreach (var (name, target, rewrite) in CorefileUpdate.SectionRedirects(text))
        {
            if (WriteMarker.Is(name))
                continue;
            if (rewrite)
                entries[name] = single.TryGetValue(target, out var named) ? named : single[target] = new SectionEntry(target, []);
            else if (single.TryGetValue(target, out var listed) || IPAddress.TryParse(target, out _))
            {
                listed ??= single[target] = new SectionEntry("", [Normalised(target)]);
                // Several addresses for one name; Distinct: with several cluster blocks each holds the section.
                entries[name] = entries.TryGetValue(name, out var e) && e.IPs.Count > 0
                    ? new SectionEntry("", [.. e.IPs.Append(listed.IPs[0]).Distinct().Order(StringComparer.Ordinal)])
                    : listed;
            }
        }
        return entries;
    }

    /// <summary>An address as every part of the probe writes it (<c>IPAddress.ToString</c>), or as it is when it is not one.</summary>
    public static string Normalised(string ip) => IPAddress.TryParse(ip, out var address) ? address.ToString() : ip;

    /// <summary>Up to <paramref name="count"/> items from the whole list, first and last included.</summary>
    private static IEnumerable<T> Spread<T>(List<T> items, int count) =>
        items.Count <= count ? items
        : count <= 1 ? items.Take(count)
        : Enumerable.Range(0, count).Select(i => items[(int)((long)i * (items.Count - 1) / (count - 1))]);
}
