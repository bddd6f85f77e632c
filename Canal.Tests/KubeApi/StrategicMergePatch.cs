using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// Strategic merge patch for the built-in kinds emulated here: a merge patch, except that the few lists whose Go
/// types declare <c>patchStrategy:"merge"</c> merge by their key, and the directives kubectl sends
/// (<c>$patch</c>, <c>$setElementOrder/…</c>, <c>$deleteFromPrimitiveList/…</c>, <c>$retainKeys</c>) are obeyed.
/// </summary>
internal static class StrategicMergePatch
{
    /// <summary>The merge lists of the emulated kinds: path → merge key ("" for a list of scalars that merges as a set).</summary>
    private static readonly Dictionary<string, string> SharedMergeLists = new()
    {
        ["metadata.finalizers"] = "",
        ["metadata.ownerReferences"] = "uid",
    };

    private static readonly Dictionary<string, string> ServiceMergeLists = new(SharedMergeLists)
    {
        ["spec.ports"] = "port",
        ["status.conditions"] = "type",
    };

    public static JsonObject Apply(string kind, JsonObject target, JsonObject patch)
    {
        var lists = kind == "Service" ? ServiceMergeLists : SharedMergeLists;
        return MergeObject(target, patch, "", lists) ?? new JsonObject();
    }

    private static JsonObject? MergeObject(JsonObject? target, JsonObject patch, string path, Dictionary<string, string> lists)
    {
        switch ((string?)patch["$patch"])
        {
            case "delete":
                return null;
            case "replace":
                var replacement = (JsonObject)patch.DeepClone();
                replacement.Remove("$patch");
                return replacement;
        }
        var result = target?.DeepClone() as JsonObject ?? new JsonObject();
        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => (string?)k).ToHashSet();
            foreach (var key in result.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
                result.Remove(key);
        }
        var orders = new Dictionary<string, JsonArray>();
        foreach (var (key, value) in patch)
        {
            var field = path == "" ? key : $"{path}.{key}";
            if (key is "$patch" or "$retainKeys")
                continue;
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
                orders[key["$setElementOrder/".Length..]] = (JsonArray)value!;
            else if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var name = key["$deleteFromPrimitiveList/".Length..];
                var doomed = ((JsonArray)value!).Select(v => v?.ToJsonString()).ToHashSet();
                if (result[name] is JsonArray list)
                    result[name] = new JsonArray([.. list.Where(v => !doomed.Contains(v?.ToJsonString())).Select(v => v?.DeepClone())]);
            }
            else if (value is null)
                result.Remove(key);
            else if (value is JsonArray patchList && lists.TryGetValue(field, out var mergeKey))
                result[key] = MergeList(result[key] as JsonArray, patchList, mergeKey, field, lists);
            else if (value is JsonObject patchObject)
            {
                var merged = MergeObject(result[key] as JsonObject, patchObject, field, lists);
                if (merged is null)
                    result.Remove(key);
                else
                    result[key] = merged;
            }
            else
                result[key] = value.DeepClone();
        }
        foreach (var (name, order) in orders)
        {
            if (result[name] is JsonArray list)
                result[name] = Reorder(list, order, lists.GetValueOrDefault(path == "" ? name : $"{path}.{name}", ""));
        }
        return result;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string mergeKey, string path, Dictionary<string, string> lists)
    {
        var items = (target ?? []).Select(i => i?.DeepClone()).ToList();
        if (patch.Any(p => p is JsonObject o && (string?)o["$patch"] == "replace"))
            return new JsonArray([.. patch.Where(p => p is not JsonObject o || (string?)o["$patch"] != "replace").Select(p => p?.DeepClone())]);
        foreach (var element in patch)
        {
            if (mergeKey == "")
            {
                if (!items.Any(i => JsonNode.DeepEquals(i, element)))
                    items.Add(element?.DeepClone());
                continue;
            }
            var patchItem = (JsonObject)element!;
            var index = items.FindIndex(i => JsonNode.DeepEquals(i?[mergeKey], patchItem[mergeKey]));
            if ((string?)patchItem["$patch"] == "delete")
            {
                if (index >= 0)
                    items.RemoveAt(index);
            }
            else if (index >= 0)
                items[index] = MergeObject(items[index] as JsonObject, patchItem, path, lists);
            else
                items.Add(MergeObject(null, patchItem, path, lists));
        }
        return new JsonArray([.. items]);
    }

    /// <summary>Items named in the order come first, in that order; the rest keep their relative order after them.</summary>
    private static JsonArray Reorder(JsonArray list, JsonArray order, string mergeKey)
    {
        JsonNode? Identity(JsonNode? item) => mergeKey == "" ? item : item?[mergeKey];
        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = order
            .Select(o => items.FirstOrDefault(i => JsonNode.DeepEquals(Identity(i), Identity(o))))
            .Where(i => i != null)
            .ToList();
        var rest = items.Where(i => !ordered.Contains(i));
        return new JsonArray([.. ordered, .. rest]);
    }
}
