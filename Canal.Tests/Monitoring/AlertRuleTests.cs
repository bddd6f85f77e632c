using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Canal.Tests.Support;

namespace Canal.Tests.Monitoring;

/// <summary>The chart's alert rules under the real promtool (Debian's prometheus package): valid, and each firing on what it watches.</summary>
public sealed partial class AlertRuleTests
{
    /// <summary>One alert's case: the series it reads (promtool's expanding notation, one sample a minute), when it is evaluated, and what fires.</summary>
    public sealed record Case(string Alert, (string Series, string Values)[] Input, string EvalTime, Dictionary<string, string>? Fires, string Value = "");

    private const string Job = "job=\"canal\", instance=\"10.0.0.1:9110\"";

    /// <summary>Every write in the last 30 minutes took between 60 and 180 s: the 95th percentile is 174 s.</summary>
    private static readonly (string Series, string Values)[] SlowWrites =
    [
        ($"canal_dns_propagation_seconds_bucket{{{Job}, le=\"60\"}}", "0x40"),
        ($"canal_dns_propagation_seconds_bucket{{{Job}, le=\"180\"}}", "0+1x40"),
        ($"canal_dns_propagation_seconds_bucket{{{Job}, le=\"+Inf\"}}", "0+1x40"),
    ];

    public static TheoryData<Case> Cases =>
    [
        new("CanalWriteNotLive", [($"canal_dns_writes_not_live{{{Job}, store=\"kube-system/coredns\"}}", "0 2 2")], "2m",
            new() { ["job"] = "canal", ["store"] = "kube-system/coredns", ["severity"] = "warning" }, "2"),
        new("CanalWriteNotLive", [($"canal_dns_writes_not_live{{{Job}, store=\"kube-system/coredns\"}}", "2 0 0")], "2m", null),
        // A refusal shows as a new series: it fires from its first sample, and ten minutes after the last increase it stops.
        new("CanalApiRefused", [($"canal_api_refused_total{{{Job}, verb=\"list\", resource=\"virtualservices\", code=\"403\"}}", "_ _ 1x20")], "3m",
            new() { ["job"] = "canal", ["verb"] = "list", ["resource"] = "virtualservices", ["code"] = "403", ["severity"] = "warning" }),
        new("CanalApiRefused", [($"canal_api_refused_total{{{Job}, verb=\"list\", resource=\"virtualservices\", code=\"403\"}}", "_ _ 1x20")], "14m", null),
        new("CanalApiRefused", [($"canal_api_refused_total{{{Job}, verb=\"create\", resource=\"events\", code=\"403\"}}", "1x12 2 3 4")], "14m",
            new() { ["job"] = "canal", ["verb"] = "create", ["resource"] = "events", ["code"] = "403", ["severity"] = "warning" }),
        new("CanalGatewayWithdrawn", [($"canal_gateway_withdrawn{{{Job}, gateway=\"istio-system/canal\"}}", "0 1 1")], "1m",
            new() { ["job"] = "canal", ["gateway"] = "istio-system/canal", ["severity"] = "warning" }),
        new("CanalDnsWriterDown", [($"canal_dns_writer_up{{{Job}}}", "0x10"), ("canal_dns_writer_up{job=\"canal\", instance=\"10.0.0.2:9110\"}", "0x10")], "6m",
            new() { ["job"] = "canal", ["severity"] = "critical" }),
        new("CanalDnsWriterDown", [($"canal_dns_writer_up{{{Job}}}", "0x10")], "4m", null),
        new("CanalDnsWriterDown", [($"canal_dns_writer_up{{{Job}}}", "0x10"), ("canal_dns_writer_up{job=\"canal\", instance=\"10.0.0.2:9110\"}", "1x10")], "8m", null),
        new("CanalNotScraped", [("up{job=\"canal-control\", instance=\"10.0.0.1:9110\"}", "0x10"), ("up{job=\"canal-control\", instance=\"10.0.0.2:9110\"}", "0x10")], "6m",
            new() { ["job"] = "canal-control", ["severity"] = "critical" }),
        new("CanalNotScraped", [("up{job=\"canal-control\", instance=\"10.0.0.1:9110\"}", "0x10"), ("up{job=\"canal-control\", instance=\"10.0.0.2:9110\"}", "1x10")], "8m", null),
        new("CanalDnsWritesFailing", [($"canal_dns_write_failing{{{Job}, store=\"kube-system/coredns\"}}", "1x10")], "6m",
            new() { ["job"] = "canal", ["store"] = "kube-system/coredns", ["severity"] = "warning" }),
        new("CanalBlockedHostsGrowing", [($"canal_hosts{{{Job}, status=\"blocked\", coverage=\"unknown\"}}", "1x30 3x5")], "32m",
            new() { ["job"] = "canal", ["severity"] = "info" }, "3"),
        new("CanalBlockedHostsGrowing", [($"canal_hosts{{{Job}, status=\"blocked\", coverage=\"unknown\"}}", "3x30 1x5")], "32m", null),
        new("CanalCorefileNearLimit", [($"canal_corefile_bytes{{{Job}, store=\"kube-system/coredns\"}}", "950000"), ($"canal_corefile_capacity_bytes{{{Job}, store=\"kube-system/coredns\"}}", "1000000")], "0m",
            new() { ["job"] = "canal", ["store"] = "kube-system/coredns", ["severity"] = "warning" }, "95%"),
        new("CanalPropagationSlow", SlowWrites, "35m", new() { ["job"] = "canal", ["severity"] = "info" }, "2m 54s"),
    ];

    [Fact]
    public async Task Promtool_checks_the_rules_the_chart_renders_and_finds_every_alert()
    {
        var rule = Monitoring.PrometheusRule();

        var (exit, output) = await PrometheusServer.CheckRules(Monitoring.RuleFile(rule));

        Assert.True(exit == 0, output);
        Assert.Contains($"SUCCESS: {Monitoring.Alerts(rule).Count()} rules found", output);
    }

    [Fact]
    public async Task A_threshold_from_the_values_is_the_one_promtool_is_given()
    {
        var values = Deploy.Charts.Values("canal-control");
        values["prometheusRule"]!["propagationP95Seconds"] = 300;
        var rule = Monitoring.PrometheusRule(values);
        var slow = new Case("CanalPropagationSlow", SlowWrites, "35m", null);

        var (exit, output) = await PrometheusServer.TestRules(Monitoring.RuleFile(rule), Tests(rule, slow));

        Assert.True(exit == 0, output);
        Assert.Contains("> 300", (string)Monitoring.Alerts(rule).Single(a => (string?)a["alert"] == "CanalPropagationSlow")["expr"]!);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_alert_fires_on_what_it_watches_with_a_description_that_names_the_object(Case test)
    {
        var rule = Monitoring.PrometheusRule();

        var (exit, output) = await PrometheusServer.TestRules(Monitoring.RuleFile(rule), Tests(rule, test));

        Assert.True(exit == 0, output);
    }

    /// <summary>A promtool unit test file for <paramref name="test"/>: the alert fires with exactly these labels and its annotations filled in, or not at all.</summary>
    private static JsonObject Tests(JsonObject rule, Case test)
    {
        var alert = Monitoring.Alerts(rule).Single(a => (string?)a["alert"] == test.Alert);
        var expected = new JsonArray();
        if (test.Fires != null)
        {
            var annotations = new JsonObject();
            foreach (var (name, text) in alert["annotations"]!.AsObject())
                annotations[name] = Expanded((string)text!, test.Fires, test.Value);
            var labels = new JsonObject();
            foreach (var (name, value) in test.Fires)
                labels[name] = value;
            expected.Add(new JsonObject { ["exp_labels"] = labels, ["exp_annotations"] = annotations });
        }
        return new JsonObject
        {
            ["rule_files"] = new JsonArray("rules.yaml"),
            ["evaluation_interval"] = "1m",
            ["tests"] = new JsonArray(new JsonObject
            {
                ["interval"] = "1m",
                ["input_series"] = new JsonArray([.. test.Input.Select(i => (JsonNode)new JsonObject { ["series"] = i.Series, ["values"] = i.Values })]),
                ["alert_rule_test"] = new JsonArray(new JsonObject { ["eval_time"] = test.EvalTime, ["alertname"] = test.Alert, ["exp_alerts"] = expected }),
            }),
        };
    }

    /// <summary>An annotation as Prometheus fills it in: the alert's labels, and its value as this case's text says it is printed.</summary>
    private static string Expanded(string text, IReadOnlyDictionary<string, string> labels, string value) =>
        Action().Replace(text, m => m.Groups["label"].Success ? labels[m.Groups["label"].Value]
            : m.Groups["value"].Success ? value
            : throw new NotSupportedException($"an annotation template this test cannot fill in: {m.Value}"));

    [GeneratedRegex(@"\{\{ (?:\$labels\.(?<label>\w+)|(?<value>\$value(?: \| humanize\w*)?)|[^}]*) \}\}")]
    private static partial Regex Action();
}
