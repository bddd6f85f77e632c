using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Canal.Tests.Deploy;
using Canal.Tests.KubeApi;

namespace Canal.Tests.Monitoring;

/// <summary>What the canal-control chart gives Prometheus and Grafana: its alert rules and its dashboard.</summary>
internal static partial class Monitoring
{
    private const string Chart = "canal-control";

    public static string Template(string name) => Charts.Template(Chart, name);

    /// <summary>The PrometheusRule the chart renders with <paramref name="values"/> (its defaults, enabled, when null).</summary>
    public static JsonObject PrometheusRule(JsonObject? values = null)
    {
        values ??= Charts.Values(Chart);
        values["prometheusRule"]!["enabled"] = true;
        return Yaml.Documents(ChartTemplate.RenderPlain(Template("prometheusrule.yaml"), values, release: "canal-control", releaseNamespace: "istio-system")).Single();
    }

    /// <summary>A rule file's content: the groups of <paramref name="rule"/>, exactly.</summary>
    public static JsonObject RuleFile(JsonObject rule) => new() { ["groups"] = rule["spec"]!["groups"]!.DeepClone() };

    public static IEnumerable<JsonObject> Alerts(JsonObject rule) =>
        rule["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject()).Where(r => r["alert"] != null);

    public static string DashboardFile => Path.Combine(Charts.Directory(Chart), "dashboards", "canal.json");

    public static JsonObject Dashboard() => JsonNode.Parse(File.ReadAllText(DashboardFile))!.AsObject();

    /// <summary>Every panel's queries, with Grafana's variables as a dashboard showing every job would set them.</summary>
    public static IReadOnlyList<(string Panel, string Query)> DashboardQueries() =>
    [
        .. Dashboard()["panels"]!.AsArray()
            .Where(p => (string?)p!["type"] != "row")
            .SelectMany(p => p!["targets"]!.AsArray().Select(t => ((string)p["title"]!, Substituted((string)t!["expr"]!)))),
    ];

    private static string Substituted(string expr)
    {
        var query = expr.Replace("$__rate_interval", "1m").Replace("$job", ".+");
        return query.Contains('$') ? throw new InvalidOperationException($"a Grafana variable this test does not set: {expr}") : query;
    }

    /// <summary>The anchors GitHub gives the headings of a markdown file (lower case, spaces as dashes, punctuation dropped).</summary>
    public static ISet<string> Anchors(string markdown) =>
        Heading().Matches(markdown).Select(m => Punctuation().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-')).ToHashSet();

    [GeneratedRegex(@"^#{1,6} (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex Punctuation();
}
