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
    /// The plan rendered into what the store holds. Up to date when only the write marker would differ; otherwise the
    /// update carries <paramref name="marker"/>, the next write's.
    /// </summary>
    public static CorefileCheck Of(DnsConfig config, RedirectPlan plan, DnsMode mode, string clusterDomain, string marker)
    {
        CorefileUpdate update;
        try
        {
            var current = WriteMarker.In(config.Content);
            update = CorefileUpdate.Apply(config.Content, plan, mode, clusterDomain, current);
            if (update.Text != config.Content)
                // One render: the marker is swapped in; only a section that had none is rendered again with it.
                update = current != null ? update.WithMarker(marker) : CorefileUpdate.Apply(config.Content, plan, mode, clusterDomain, marker);
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
        return new Rendered(update, update.Text == config.Content);
    }
}
