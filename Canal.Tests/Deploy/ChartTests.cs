using Canal.Tests.KubeApi;

namespace Canal.Tests.Deploy;

/// <summary>What can be checked of both charts without helm, which cannot be installed here.</summary>
public sealed class ChartTests
{
    public static TheoryData<string> Names => ["canal", "canal-control"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Chart_yaml_and_values_yaml_parse(string chart)
    {
        var meta = Yaml.Documents(File.ReadAllText(Path.Combine(Charts.Directory(chart), "Chart.yaml"))).Single();

        Assert.Equal("v2", (string?)meta["apiVersion"]);
        Assert.Equal(chart, (string?)meta["name"]);
        Assert.Matches(@"^\d+\.\d+\.\d+$", (string?)meta["version"]);
        // Quoted in Chart.yaml: an unquoted 0.10 would be the number 0.1.
        Assert.Matches(@"^\d+\.\d+\.\d+$", (string?)meta["appVersion"]);
        Assert.NotEmpty(Charts.Values(chart));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Values_yaml_validates_against_values_schema_json(string chart)
    {
        Assert.Empty(Charts.Violations(chart, Charts.Values(chart)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_misspelt_or_mistyped_value_is_refused_by_the_schema(string chart)
    {
        var misspelt = Charts.Values(chart);
        misspelt["replicaCount"] = 2;
        var mistyped = Charts.Values(chart);
        mistyped["replicas"] = "two";

        Assert.Contains(Charts.Violations(chart, misspelt), e => e.StartsWith("/replicaCount: ", StringComparison.Ordinal));
        Assert.Contains(Charts.Violations(chart, mistyped), e => e.StartsWith("/replicas: ", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_values_path_a_template_reads_exists_in_values_yaml(string chart)
    {
        var values = Charts.Values(chart);
        var missing = Charts.Templates(chart)
            .SelectMany(t => ChartTemplate.ValuesPaths(File.ReadAllText(t)).Select(p => (Template: Path.GetFileName(t), Path: p)))
            .Where(u => !ChartTemplate.Exists(values, u.Path))
            .ToList();

        Assert.True(missing.Count == 0, "not in values.yaml: " + string.Join(", ", missing.Select(m => $".Values.{m.Path} ({m.Template})")));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_template_pairs_its_braces_and_closes_its_blocks(string chart)
    {
        foreach (var template in Charts.Templates(chart))
        {
            var text = File.ReadAllText(template);
            IReadOnlyList<string> problems = Record.Exception(() => ChartTemplate.Actions(text)) is { } e ? [e.Message] : ChartTemplate.BlockProblems(text);
            Assert.True(problems.Count == 0, $"{Path.GetFileName(template)}: {string.Join("; ", problems)}");
        }
    }
}
