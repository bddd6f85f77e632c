using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Canal.Tests.Deploy;

/// <summary>
/// The part of JSON Schema (draft-07) the charts' values.schema.json files use, to check values without helm.
/// A keyword it does not know fails the test, so a schema never passes for lack of support.
/// </summary>
internal sealed class JsonSchemaSubset(JsonObject root)
{
    private static readonly string[] Annotations = ["$schema", "title", "description", "definitions", "then"];

    public static JsonSchemaSubset Load(string path) => new(JsonNode.Parse(File.ReadAllText(path))!.AsObject());

    /// <summary>Every violation, each with the path of the value at fault; empty when the value is valid.</summary>
    public IReadOnlyList<string> Validate(JsonNode? value)
    {
        var errors = new List<string>();
        // Re-parsed, every number reads as any numeric type, however the value was built.
        Check(root, value == null ? null : JsonNode.Parse(value.ToJsonString()), "$", errors);
        return errors;
    }

    private void Check(JsonObject schema, JsonNode? value, string path, List<string> errors)
    {
        foreach (var (keyword, argument) in schema)
        {
            switch (keyword)
            {
                case var _ when Annotations.Contains(keyword):
                    break;
                case "$ref":
                    Check(Resolve((string)argument!), value, path, errors);
                    break;
                case "type":
                    if (!HasType(value, (string)argument!))
                        errors.Add($"{path}: not of type {argument}");
                    break;
                case "enum":
                    if (!argument!.AsArray().Any(allowed => JsonNode.DeepEquals(allowed, value)))
                        errors.Add($"{path}: {value?.ToJsonString() ?? "null"} is not one of {argument.ToJsonString()}");
                    break;
                case "required":
                    if (value is JsonObject required)
                        errors.AddRange(argument!.AsArray().Select(n => (string)n!).Where(n => !required.ContainsKey(n)).Select(n => $"{path}: {n} is required"));
                    break;
                case "properties":
                    if (value is JsonObject withProperties)
                        foreach (var (name, property) in argument!.AsObject())
                            if (withProperties.TryGetPropertyValue(name, out var child))
                                Check(property!.AsObject(), child, $"{path}.{name}", errors);
                    break;
                case "additionalProperties":
                    if (value is JsonObject additional)
                        foreach (var (name, child) in additional.Where(p => schema["properties"]?.AsObject().ContainsKey(p.Key) != true))
                        {
                            if (argument is JsonObject additionalSchema)
                                Check(additionalSchema, child, $"{path}.{name}", errors);
                            else if (!(bool)argument!)
                                errors.Add($"{path}: {name} is not a known setting");
                        }
                    break;
                case "minProperties":
                    if (value is JsonObject counted && counted.Count < (int)argument!)
                        errors.Add($"{path}: fewer than {argument} entries");
                    break;
                case "items":
                    if (value is JsonArray items)
                        for (var i = 0; i < items.Count; i++)
                            Check(argument!.AsObject(), items[i], $"{path}[{i}]", errors);
                    break;
                case "minItems":
                    if (value is JsonArray sized && sized.Count < (int)argument!)
                        errors.Add($"{path}: fewer than {argument} items");
                    break;
                case "minimum" or "maximum":
                    if (value is JsonValue number && number.GetValueKind() == JsonValueKind.Number
                        && (keyword == "minimum" ? (double)number < (double)argument! : (double)number > (double)argument!))
                        errors.Add($"{path}: {number} is {(keyword == "minimum" ? "below" : "above")} {argument}");
                    break;
                case "minLength":
                    if (value is JsonValue text && text.GetValueKind() == JsonValueKind.String && ((string)text!).Length < (int)argument!)
                        errors.Add($"{path}: shorter than {argument}");
                    break;
                case "pattern":
                    if (value is JsonValue matched && matched.GetValueKind() == JsonValueKind.String && !Regex.IsMatch((string)matched!, (string)argument!))
                        errors.Add($"{path}: \"{matched}\" does not match {argument}");
                    break;
                case "if":
                    // `then` applies when the value satisfies `if`; `if`'s own failures are not errors.
                    if (Matches(argument!.AsObject(), value) && schema["then"] is JsonObject then)
                        Check(then, value, path, errors);
                    break;
                default:
                    throw new NotSupportedException($"JSON Schema keyword {keyword} at {path} is not supported by this validator: extend it");
            }
        }
    }

    private bool Matches(JsonObject schema, JsonNode? value)
    {
        var errors = new List<string>();
        Check(schema, value, "$", errors);
        return errors.Count == 0;
    }

    private JsonObject Resolve(string reference) =>
        reference.StartsWith("#/", StringComparison.Ordinal)
            ? reference[2..].Split('/').Aggregate((JsonNode)root, (node, part) => node[part] ?? throw new KeyNotFoundException(reference)).AsObject()
            : throw new NotSupportedException($"$ref {reference}: only references inside the schema are supported");

    private static bool HasType(JsonNode? value, string type) => (type, value?.GetValueKind()) switch
    {
        ("object", JsonValueKind.Object) or ("array", JsonValueKind.Array) or ("string", JsonValueKind.String) => true,
        ("boolean", JsonValueKind.True or JsonValueKind.False) or ("number", JsonValueKind.Number) => true,
        ("integer", JsonValueKind.Number) => double.IsInteger((double)value!),
        ("null", null or JsonValueKind.Null) => true,
        _ => false,
    };
}
