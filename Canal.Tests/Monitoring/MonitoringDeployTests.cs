using System.Text.Json.Nodes;
using Canal.Tests.Deploy;
using Canal.Tests.KubeApi;

namespace Canal.Tests.Monitoring;

/// <summary>The chart's and k8s/components/monitoring's ServiceMonitor, PrometheusRule and dashboard: off unless asked for, pointing at what serves /metrics, the same in both.</summary>
public sealed class MonitoringDeployTests
{
    private const string Chart = "canal-control";
    private static readonly string Component = Path.Combine(Kustomize.K8s, "components", "monitoring");

    public static TheoryData<string, string> Templates => new()
    {
        { "servicemonitor.yaml", "serviceMonitor" },
        { "prometheusrule.yaml", "prometheusRule" },
        { "dashboard.yaml", "grafanaDashboard" },
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Each_is_off_by_default_and_its_template_renders_only_when_enabled(string template, string value)
    {
        Assert.Equal(false, (bool?)Charts.Values(Chart)[value]!["enabled"]);
        Assert.Equal($"if .Values.{value}.enabled", ChartTemplate.Actions(Monitoring.Template(template)).First(a => !a.StartsWith("/*", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_charts_ServiceMonitor_selects_the_controllers_Service_and_scrapes_its_api_port_with_the_management_token()
    {
        var monitor = Monitoring.Template("servicemonitor.yaml");
        var service = Monitoring.Template("service.yaml");
        var deployment = Monitoring.Template("deployment.yaml");
        var helpers = Monitoring.Template("_helpers.tpl");

        // The selector is the selector labels, which the Service's labels hold (canal-control.labels includes them).
        Assert.Contains("matchLabels:\n      {{- include \"canal-control.selectorLabels\" . | nindent 6 }}", monitor);
        Assert.Contains("  labels:\n    {{- include \"canal-control.labels\" . | nindent 4 }}", service);
        var labels = helpers[helpers.IndexOf("define \"canal-control.labels\"", StringComparison.Ordinal)..];
        Assert.StartsWith("{{ include \"canal-control.selectorLabels\" . }}", labels[(labels.IndexOf('\n') + 1)..]);
        // Port `api` of the Service is the container's port `api`, the management port that serves /metrics.
        Assert.Contains("    - port: api\n      path: /metrics\n", monitor);
        Assert.Contains("    - name: api\n      port: {{ .Values.management.port }}\n      targetPort: api\n", service);
        Assert.Contains("            - name: api\n              containerPort: {{ .Values.management.port }}\n", deployment);
        Assert.Contains("            - name: Canal__ManagementPort\n              value: {{ .Values.management.port | quote }}", deployment);
        // Beyond loopback every call needs the token: the Secret and key the Deployment mounts.
        Assert.Contains("          name: {{ include \"canal-control.tokenSecret\" . }}\n          key: {{ .Values.management.token.key }}\n", monitor);
        Assert.Contains("secretName: {{ include \"canal-control.tokenSecret\" . }}", deployment);
        Assert.Contains("value: /etc/canal/management/{{ .Values.management.token.key }}", deployment);
    }

    [Fact]
    public async Task The_component_on_an_overlay_selects_only_the_controllers_Service_whose_api_port_is_the_management_port_and_sends_the_mounted_token()
    {
        var objects = await Kustomize.BuildWith("single", "monitoring");
        var monitor = Kustomize.One(objects, "ServiceMonitor", "canal-control");
        var spec = monitor["spec"]!;
        var selected = objects.Where(o => (string?)o["kind"] == "Service"
            && spec["namespaceSelector"]!["matchNames"]!.AsArray().Any(n => (string?)n == (string?)o["metadata"]!["namespace"])
            && spec["selector"]!["matchLabels"]!.AsObject().All(l => (string?)o["metadata"]!["labels"]?[l.Key] == (string?)l.Value)).ToList();
        var service = Assert.Single(selected);
        var endpoint = Assert.Single(spec["endpoints"]!.AsArray())!;
        Assert.Equal("/metrics", (string?)endpoint["path"]);
        var port = Assert.Single(service["spec"]!["ports"]!.AsArray(), p => (string?)p!["name"] == (string?)endpoint["port"])!;

        var deployment = Kustomize.One(objects, "Deployment", "canal-control");
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var container = Assert.Single(pod["containers"]!.AsArray(), c => (string?)c!["name"] == "canal")!;
        var containerPort = Assert.Single(container["ports"]!.AsArray(), p => (string?)p!["name"] == (string?)port["targetPort"])!;
        var env = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        Assert.Equal(env["Canal__ManagementPort"], containerPort["containerPort"]!.ToString());

        var credentials = endpoint["authorization"]!["credentials"]!;
        var volume = Assert.Single(pod["volumes"]!.AsArray(), v => (string?)v!["secret"]?["secretName"] == (string?)credentials["name"])!;
        var mount = Assert.Single(container["volumeMounts"]!.AsArray(), m => (string?)m!["name"] == (string?)volume["name"])!;
        Assert.Equal($"{mount["mountPath"]}/{credentials["key"]}", env["Canal__ManagementTokenFile"]);
        Assert.Equal("Bearer", (string?)endpoint["authorization"]!["type"]);
    }

    [Fact]
    public async Task The_component_holds_the_charts_rules_with_their_default_thresholds_and_the_charts_dashboard_for_grafanas_sidecar()
    {
        var objects = await Kustomize.BuildWith("single", "monitoring");

        var rule = Kustomize.One(objects, "PrometheusRule", "canal-control");
        Assert.True(JsonNode.DeepEquals(Monitoring.PrometheusRule()["spec"], rule["spec"]), $"the component's rules differ from the chart's:\n{rule["spec"]}");
        var dashboard = Kustomize.One(objects, "ConfigMap", "canal-control-dashboard");
        Assert.Equal("1", (string?)dashboard["metadata"]!["labels"]!["grafana_dashboard"]);
        Assert.Equal(File.ReadAllText(Monitoring.DashboardFile), (string?)dashboard["data"]!["canal.json"]);
        Assert.Equal(File.ReadAllText(Monitoring.DashboardFile), File.ReadAllText(Path.Combine(Component, "canal-dashboard.json")));
        Assert.Contains("{{- .Files.Get \"dashboards/canal.json\" | nindent 4 }}", Monitoring.Template("dashboard.yaml"));
    }

    [Fact]
    public void Every_alert_has_a_summary_a_description_that_names_its_object_and_a_runbook_section_in_docs_operating_md()
    {
        var rule = Monitoring.PrometheusRule();
        var anchors = Monitoring.Anchors(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "operating.md")));
        var runbooks = (string)Charts.Values(Chart)["prometheusRule"]!["runbookUrl"]!;

        Assert.NotEmpty(Monitoring.Alerts(rule));
        foreach (var alert in Monitoring.Alerts(rule))
        {
            var name = (string)alert["alert"]!;
            var annotations = alert["annotations"]!;
            Assert.False(string.IsNullOrWhiteSpace((string?)annotations["summary"]), name);
            Assert.Contains("{{ $labels.", (string?)annotations["description"]);
            Assert.Equal($"{runbooks}#{name.ToLowerInvariant()}", (string?)annotations["runbook_url"]);
            Assert.True(anchors.Contains(name.ToLowerInvariant()), $"docs/operating.md has no section {name}");
            Assert.Contains((string?)alert["labels"]!["severity"], new[] { "critical", "warning", "info" });
        }
    }

    [Fact]
    public void Every_dashboard_query_goes_to_the_data_source_the_dashboard_asks_for()
    {
        var dashboard = Monitoring.Dashboard();
        var panels = dashboard["panels"]!.AsArray().Where(p => (string?)p!["type"] != "row").ToList();

        Assert.NotEmpty(panels);
        foreach (var panel in panels)
        {
            Assert.Equal("${datasource}", (string?)panel!["datasource"]!["uid"]);
            Assert.All(panel["targets"]!.AsArray(), t => Assert.Equal("${datasource}", (string?)t!["datasource"]!["uid"]));
            Assert.NotEmpty(panel["targets"]!.AsArray());
        }
        Assert.Equal("canal", (string?)dashboard["uid"]);
    }
}
