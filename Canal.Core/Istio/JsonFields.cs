using System.Text.Json;

namespace Canal.Istio;

/// <summary>Reads the fields of a Kubernetes object's JSON: a field of the wrong shape is a <see cref="ManifestFieldException"/> naming its path.</summary>
internal static class JsonFields
{
    public static string Path(string prefix, string field) => prefix.Length == 0 ? field : $"{prefix}.{field}";

    public static JsonElement? Property(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static JsonElement Object(JsonElement obj, string name, string prefix, bool required = false) =>
        OptionalObject(obj, name, prefix)
        ?? (required ? throw new ManifestFieldException(Path(prefix, name), "is required") : default);

    public static JsonElement? OptionalObject(JsonElement obj, string name, string prefix)
    {
        var value = Property(obj, name);
        if (value is { ValueKind: not JsonValueKind.Object } wrong)
            throw new ManifestFieldException(Path(prefix, name), $"expected an object, found {Describe(wrong)}");
        return value;
    }

    /// <summary>The items of the list <paramref name="name"/>, each with its path (<c>prefix.name[i]</c>).</summary>
    public static IEnumerable<(JsonElement Item, string Path)> Items(JsonElement obj, string name, string prefix) =>
        Array(obj, name, prefix).Select((item, i) => (item, $"{Path(prefix, name)}[{i}]"));

    public static IEnumerable<JsonElement> Array(JsonElement obj, string name, string prefix)
    {
        var value = Property(obj, name);
        if (value == null)
            return [];
        if (value.Value.ValueKind != JsonValueKind.Array)
            throw new ManifestFieldException(Path(prefix, name), $"expected a list, found {Describe(value.Value)}");
        return value.Value.EnumerateArray();
    }

    public static string RequiredString(JsonElement obj, string name, string prefix) =>
        OptionalString(obj, name, prefix) ?? throw new ManifestFieldException(Path(prefix, name), "is required");

    public static string? OptionalString(JsonElement obj, string name, string prefix)
    {
        var value = Property(obj, name);
        if (value is { ValueKind: not JsonValueKind.String } wrong)
            throw new ManifestFieldException(Path(prefix, name), $"expected a string, found {Describe(wrong)}");
        return value?.GetString();
    }

    public static int? OptionalInt(JsonElement obj, string name, string prefix)
    {
        var value = Property(obj, name);
        if (value == null)
            return null;
        if (value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetInt32(out var number))
            return number;
        throw new ManifestFieldException(Path(prefix, name), $"expected a whole number, found {Describe(value.Value)}");
    }

    public static bool OptionalBool(JsonElement obj, string name, string prefix) => Property(obj, name) switch
    {
        null => false,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } wrong => throw new ManifestFieldException(Path(prefix, name), $"expected a boolean, found {Describe(wrong)}"),
    };

    public static List<string> StringArray(JsonElement obj, string name, string prefix)
    {
        var result = new List<string>();
        foreach (var (item, path) in Items(obj, name, prefix))
            result.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new ManifestFieldException(path, $"expected a string, found {Describe(item)}"));
        return result;
    }

    public static Dictionary<string, string> StringMap(JsonElement obj, string name, string prefix)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (OptionalObject(obj, name, prefix) is not { } map)
            return result;
        foreach (var entry in map.EnumerateObject())
        {
            result[entry.Name] = entry.Value.ValueKind switch
            {
                JsonValueKind.String => entry.Value.GetString()!,
                _ => throw new ManifestFieldException($"{Path(prefix, name)}.{entry.Name}", $"expected a string, found {Describe(entry.Value)}"),
            };
        }
        return result;
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the string {HostName.Quote(value.GetString()!)}",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        _ => "null",
    };
}
