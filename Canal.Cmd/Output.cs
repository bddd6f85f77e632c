using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Canal.Contracts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Canal.Cmd;

/// <summary>
/// How an answer is printed: a table for people, or exactly the API's answer as JSON or YAML for scripts.
/// </summary>
internal static class Output
{
    public const string Table = "table";
    public const string Json = "json";
    public const string Yaml = "yaml";
    public static readonly string[] Formats = [Table, Json, Yaml];

    private static readonly JsonSerializerOptions Indented = new(ManagementJson.Options) { WriteIndented = true };

    public static string Render<T>(T answer, string format, Func<T, string> table) => format switch
    {
        Json => JsonSerializer.Serialize(answer, Indented) + "\n",
        Yaml => ToYaml(JsonSerializer.SerializeToNode(answer, ManagementJson.Options)),
        _ => table(answer),
    };

    private static string ToYaml(JsonNode? node)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(Node(node))).Save(writer, assignAnchors: false);
        // YamlStream ends every document with "...": a single answer does not need it.
        var text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static YamlNode Node(JsonNode? node) => node switch
    {
        JsonObject o => new YamlMappingNode(o.Select(p => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(p.Key), Node(p.Value)))),
        JsonArray a => new YamlSequenceNode(a.Select(Node)),
        JsonValue v when v.TryGetValue<string>(out var s) => new YamlScalarNode(s) { Style = LooksLikeAnotherType(s) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any },
        JsonValue v => new YamlScalarNode(v.ToJsonString()) { Style = ScalarStyle.Plain },
        _ => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
    };

    /// <summary>A string YAML would read as a number, boolean or null unless quoted.</summary>
    private static bool LooksLikeAnotherType(string s) =>
        s.Length == 0 || double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
        || s.ToLowerInvariant() is "true" or "false" or "null" or "~" or "yes" or "no" or "on" or "off";
}
