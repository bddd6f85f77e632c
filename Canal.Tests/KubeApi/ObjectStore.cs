using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// The emulator's etcd: one global resourceVersion counter, and every revision of every object kept in order so
/// that lists can be served at an earlier resourceVersion (paging) and tests can inspect all that was ever stored.
/// Every change is published to the <see cref="WatchHub"/> under the same lock, so watchers see changes in order.
/// </summary>
internal sealed class ObjectStore(WatchHub hub, int revisionsKept = int.MaxValue)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ResourceType, SortedDictionary<string, List<Revision>>> _objects = [];
    private long _resourceVersion = 1;

    /// <summary>One stored revision; a null <see cref="Json"/> is a deletion (a tombstone, never shown to tests).</summary>
    private sealed record Revision(long ResourceVersion, string? Json);

    public long ResourceVersion { get { lock (_gate) return _resourceVersion; } }

    /// <summary>Runs a read-check-write sequence with no other change in between (the lock is re-entrant).</summary>
    public T Atomically<T>(Func<T> action)
    {
        lock (_gate)
            return action();
    }

    public JsonObject? Get(ResourceType type, string ns, string name)
    {
        lock (_gate)
            return History(type, Key(ns, name)) is [.., { Json: { } json }] ? Parse(json) : null;
    }

    public IReadOnlyList<string> Revisions(ResourceType type, string ns, string name)
    {
        lock (_gate)
            return [.. (History(type, Key(ns, name)) ?? []).Select(r => r.Json).OfType<string>()];
    }

    /// <summary>
    /// The objects of a type (in one namespace, or all) as they were at <paramref name="atResourceVersion"/>, in
    /// etcd key order (namespace, then name), starting at the key <paramref name="from"/>.
    /// </summary>
    public IReadOnlyList<(string Key, JsonObject Object)> List(ResourceType type, string? ns, long atResourceVersion, string from = "") =>
        Page(type, ns, atResourceVersion, from, int.MaxValue).Items;

    /// <summary>
    /// As <see cref="List"/>, but parses at most <paramref name="limit"/> objects and only counts the rest, so
    /// paging through a large list does not parse it once per page.
    /// </summary>
    public (IReadOnlyList<(string Key, JsonObject Object)> Items, int Remaining) Page(ResourceType type, string? ns, long atResourceVersion, string from, int limit)
    {
        List<(string, JsonObject)> items = [];
        var remaining = 0;
        lock (_gate)
        {
            if (!_objects.TryGetValue(type, out var objects))
                return (items, 0);
            var prefix = ns == null ? "" : ns + "/";
            foreach (var (key, history) in objects)
            {
                if (!key.StartsWith(prefix, StringComparison.Ordinal) || string.CompareOrdinal(key, from) < 0)
                    continue;
                if (history.LastOrDefault(r => r.ResourceVersion <= atResourceVersion) is not { Json: { } json })
                    continue;
                if (items.Count < limit)
                    items.Add((key, Parse(json)));
                else
                    remaining++;
            }
        }
        return (items, remaining);
    }

    /// <summary>
    /// Stores a new revision under a new resourceVersion, unless it equals the stored one: like the real
    /// server, a write that changes nothing gets no new resourceVersion and no watch event.
    /// </summary>
    public JsonObject Put(ResourceType type, JsonObject obj)
    {
        var ns = (string?)obj["metadata"]?["namespace"] ?? "";
        var name = (string)obj["metadata"]!["name"]!;
        lock (_gate)
        {
            var history = History(type, Key(ns, name), create: true)!;
            var previous = history is [.., { Json: { } json }] ? json : null;
            if (previous != null)
            {
                obj["metadata"]!["resourceVersion"] = Parse(previous)["metadata"]!["resourceVersion"]!.DeepClone();
                if (JsonNode.DeepEquals(obj, JsonNode.Parse(previous)))
                    return Parse(previous);
            }
            var rv = ++_resourceVersion;
            obj["metadata"]!["resourceVersion"] = rv.ToString();
            var stored = Canonical.Order(type, obj).ToJsonString(Json.Options);
            Add(history, new Revision(rv, stored));
            hub.Publish(new StoredEvent(rv, previous == null ? "ADDED" : "MODIFIED", type, ns, previous, stored));
            return Parse(stored);
        }
    }

    /// <summary>Deletes an object; returns its last state with the deletion's resourceVersion, or null if there was none.</summary>
    public JsonObject? Remove(ResourceType type, string ns, string name)
    {
        lock (_gate)
        {
            if (History(type, Key(ns, name)) is not [.., { Json: { } previous }] history)
                return null;
            var rv = ++_resourceVersion;
            Add(history, new Revision(rv, null));
            var last = Parse(previous);
            last["metadata"]!["resourceVersion"] = rv.ToString();
            var deleted = last.ToJsonString(Json.Options);
            hub.Publish(new StoredEvent(rv, "DELETED", type, ns, previous, deleted));
            return last;
        }
    }

    private void Add(List<Revision> history, Revision revision)
    {
        history.Add(revision);
        if (history.Count > revisionsKept)
            history.RemoveRange(0, history.Count - revisionsKept);
    }

    /// <summary>The key of an object within its type, ordered as etcd orders /registry/TYPE/NAMESPACE/NAME.</summary>
    public static string Key(string ns, string name) => ns == "" ? name : $"{ns}/{name}";

    private List<Revision>? History(ResourceType type, string key, bool create = false)
    {
        if (!_objects.TryGetValue(type, out var objects))
        {
            if (!create)
                return null;
            _objects[type] = objects = new SortedDictionary<string, List<Revision>>(StringComparer.Ordinal);
        }
        if (!objects.TryGetValue(key, out var history) && create)
            objects[key] = history = [];
        return history;
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
