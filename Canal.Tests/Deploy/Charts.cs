using System.Text.Json;
using System.Text.Json.Nodes;
using Canal.Tests.KubeApi;
using Json.Schema;

namespace Canal.Tests.Deploy;

/// <summary>The charts as copied to the test output.</summary>
internal static class Charts
{
    // JsonSchema.Net registers each schema it loads by its file's URI, once: each chart's is loaded once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<JsonSchema>> Schemas = new();

    public static string Directory(string chart) => Path.Combine(AppContext.BaseDirectory, "charts", chart);

    public static JsonObject Values(string chart) => Yaml.Documents(File.ReadAllText(Path.Combine(Directory(chart), "values.yaml"))).Single();

    /// <summary>
    /// What helm's check of <paramref name="values"/> against the chart's values.schema.json finds, with JsonSchema.Net:
    /// each violation as <c>POINTER: message</c> (<c>/replicas: Value is "string" but should be "integer"</c>); none when valid.
    /// </summary>
    public static IReadOnlyList<string> Violations(string chart, JsonNode values)
    {
        var schema = Schemas.GetOrAdd(chart, c => new Lazy<JsonSchema>(() => JsonSchema.FromFile(Path.Combine(Directory(c), "values.schema.json")))).Value;
        using var document = JsonDocument.Parse(values.ToJsonString());
        var results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid ? []
            : [.. (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
    }

    public static string Template(string chart, string name) => File.ReadAllText(Path.Combine(Directory(chart), "templates", name));

    public static IEnumerable<string> Templates(string chart) =>
        System.IO.Directory.GetFiles(Path.Combine(Directory(chart), "templates")).Order();
}
