using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Canal.Tests.KubeApi;

/// <summary>One open watch: what it selects, and the events waiting to be written to its connection.</summary>
internal sealed class Watcher(
    ResourceType type,
    string version,
    string? ns,
    LabelSelector labels,
    FieldSelector fields,
    bool bookmarks)
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _dropped = new();

    public bool WantsBookmarks => bookmarks;

    public ChannelReader<string> Lines => _lines.Reader;

    /// <summary>Cancelled when a fault drops this watch: the handler then aborts the connection.</summary>
    public CancellationToken Dropped => _dropped.Token;

    public void Drop() => _dropped.Cancel();

    public bool Selects(JsonObject obj) =>
        (ns == null || (string?)obj["metadata"]?["namespace"] == ns) && labels.Matches(obj) && fields.Matches(obj);

    /// <summary>
    /// Queues a change if this watch sees it. As in the real watch cache, an object that stops matching the
    /// selectors is reported DELETED and one that starts matching is ADDED.
    /// </summary>
    public void Offer(StoredEvent change)
    {
        if (change.ResourceType != type)
            return;
        var now = JsonNode.Parse(change.Object)!.AsObject();
        var before = change.Previous is { } previous ? JsonNode.Parse(previous)!.AsObject() : null;
        var (wasIn, isIn) = change.Type == "DELETED"
            ? (Selects(now), false)
            : (before != null && Selects(before), Selects(now));
        var eventType = (wasIn, isIn) switch
        {
            (false, true) => "ADDED",
            (true, true) => "MODIFIED",
            (true, false) => "DELETED",
            _ => null,
        };
        if (eventType != null)
            Send(eventType, now);
    }

    public void Send(string eventType, JsonObject obj) =>
        _lines.Writer.TryWrite(WatchLine(eventType, type.Serve(obj, version)));

    /// <summary>A bookmark: an empty object of the watched kind that carries only a resourceVersion.</summary>
    public void Bookmark(long resourceVersion)
    {
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString() };
        // Built-in kinds are Go structs: their zero creationTimestamp is written as null.
        if (!type.Custom)
            metadata["creationTimestamp"] = null;
        _lines.Writer.TryWrite(WatchLine("BOOKMARK", new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion(version),
            ["metadata"] = metadata,
        }));
    }

    public static string WatchLine(string eventType, JsonObject obj) =>
        new JsonObject { ["type"] = eventType, ["object"] = obj }.ToJsonString(Json.Options) + "\n";
}
