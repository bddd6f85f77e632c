using System.Text.Json.Nodes;
using Canal.Tests.KubeApi;

namespace Canal.Tests.Deploy;

/// <summary>The charts as copied to the test output.</summary>
internal static class Charts
{
    public static string Directory(string chart) => Path.Combine(AppContext.BaseDirectory, "charts", chart);

    public static JsonObject Values(string chart) => Yaml.Documents(File.ReadAllText(Path.Combine(Directory(chart), "values.yaml"))).Single();

    public static JsonSchemaSubset Schema(string chart) => JsonSchemaSubset.Load(Path.Combine(Directory(chart), "values.schema.json"));

    public static IEnumerable<string> Templates(string chart) =>
        System.IO.Directory.GetFiles(Path.Combine(Directory(chart), "templates")).Order();
}
