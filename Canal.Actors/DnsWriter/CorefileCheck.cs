using System.Text;
using Canal.Dns;
using Canal.Istio;

namespace Canal.DnsWriter;

/// <summary>What a plan makes of the store's Corefile as it was read: refused, or a render that is already there or is to be written.</summary>
internal abstract record CorefileCheck
{
    /// <summary>Left untouched and reported; <paramref name="Oversized"/> when only the store's size limit stands in the way.</summary>
    public sealed record Refused(string Reason, bool Oversized) : CorefileCheck;

    /// <param name="UpToDate">The store already holds it: nothing to write.</param>
    public sealed record Rendered(CorefileUpdate Update, bool UpToDate) : CorefileCheck;

    /// <summary>
    /// The plan rendered into what the store holds, with <paramref name="marker"/> (the next write's). Up to date when
    /// only the marker differs: the store's text is then the render, with its own marker.
    /// </summary>
    public static CorefileCheck Of(DnsConfig config, RedirectPlan plan, DnsMode mode, string clusterDomain, string marker)
    {
        CorefileUpdate update;
        var upToDate = false;
        try
        {
            update = CorefileUpdate.Apply(config.Content, plan, mode, clusterDomain, marker);
            if (WriteMarker.In(config.Content) is { } current)
            {
                // Compared with the store's marker swapped for the new one; what is written is always a whole render.
                if (update.Marker is { } m && update.Text == config.Content.Replace(current, marker, StringComparison.Ordinal))
                    (update, upToDate) = (update with { Text = config.Content, Marker = m with { Host = current } }, true);
            }
            else if (update.Marker != null && CorefileUpdate.Apply(config.Content, plan, mode, clusterDomain) is { } unmarked && unmarked.Text == config.Content)
                // A section written before markers existed: as good as one with a marker, until the plan changes.
                (update, upToDate) = (unmarked, true);
        }
        catch (Exception e) when (e is CorefileException or InvalidOperationException)
        {
            return new Refused(e.Message, false);
        }
        // Writing would fail on every retry (the API server's size limit): keep the last good Corefile.
        if (config.Capacity is { } capacity && Encoding.UTF8.GetByteCount(update.Text) is var size && size > capacity)
            return new Refused(
                $"the Corefile with {update.Plan.Redirects.Count} redirects would take {size:N0} bytes, over the {capacity:N0} its store allows " +
                $"({update.Mode} mode); the last good one is kept. Fewer redirects, hosts mode (shorter lines) or a shorter gateway name make it fit",
                true);
        return new Rendered(update, upToDate || update.Text == config.Content);
    }
}
