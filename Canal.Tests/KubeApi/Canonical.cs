using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// Puts an object's fields in the order the real server writes them, so stored revisions compare as text:
/// custom resources are Go maps (keys sorted); built-in kinds are Go structs (kind, apiVersion, metadata first,
/// metadata in its struct order) whose maps (labels, annotations, data) are sorted.
/// </summary>
internal static class Canonical
{
    private static readonly string[] MetadataOrder =
    [
        "name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    ];

    private static readonly HashSet<string> SortedMaps = ["labels", "annotations", "data", "binaryData"];

    public static JsonObject Order(ResourceType type, JsonObject obj) =>
        type.Custom ? (JsonObject)SortAll(obj)! : OrderBuiltIn(obj);

    private static JsonNode? SortAll(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, SortAll(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(SortAll)]),
        _ => node?.DeepClone(),
    };

    private static JsonObject OrderBuiltIn(JsonObject obj)
    {
        var result = new JsonObject();
        foreach (var key in (string[])["kind", "apiVersion", "metadata"])
        {
            if (obj.ContainsKey(key))
                result[key] = key == "metadata" && obj[key] is JsonObject metadata ? OrderMetadata(metadata) : obj[key]?.DeepClone();
        }
        foreach (var (key, value) in obj.Where(p => !result.ContainsKey(p.Key)))
            result[key] = SortedMaps.Contains(key) ? SortAll(value) : value?.DeepClone();
        return result;
    }

    private static JsonObject OrderMetadata(JsonObject metadata)
    {
        var rank = (string key) => Array.IndexOf(MetadataOrder, key) is var i and >= 0 ? i : MetadataOrder.Length;
        return new JsonObject(metadata
            .OrderBy(p => rank(p.Key))
            .Select(p => KeyValuePair.Create(p.Key, SortedMaps.Contains(p.Key) ? SortAll(p.Value) : p.Value?.DeepClone())));
    }
}
