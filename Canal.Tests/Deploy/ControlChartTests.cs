using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Canal.Tests.KubeApi;

namespace Canal.Tests.Deploy;

/// <summary>charts/canal-control agrees with k8s/ and refuses what cannot work.</summary>
public sealed class ControlChartTests
{
    private const string Chart = "canal-control";

    private static string Template(string name) => Charts.Template(Chart, name);

    [Fact]
    public void Several_replicas_without_postgresql_are_refused_by_the_schema_and_the_templates()
    {
        var sqlite = Charts.Values(Chart);
        sqlite["replicas"] = 3;
        var postgres = (JsonObject)sqlite.DeepClone();
        postgres["persistence"]!["postgres"]!["existingSecret"] = "canal-control-postgres";

        Assert.Contains(Charts.Violations(Chart, sqlite), e => e.StartsWith("/persistence/postgres/existingSecret: ", StringComparison.Ordinal));
        Assert.Empty(Charts.Violations(Chart, postgres));
        // helm checks the schema too, but `fail` also holds for a chart whose schema is skipped (--skip-schema-validation).
        Assert.StartsWith("include \"canal-control.validate\"", ChartTemplate.Actions(Template("deployment.yaml"))[0]);
        var helpers = Template("_helpers.tpl");
        var validate = helpers[helpers.IndexOf("define \"canal-control.validate\"", StringComparison.Ordinal)..];
        Assert.Contains("gt (int .Values.replicas) 1", validate);
        Assert.Contains("not .Values.persistence.postgres.existingSecret", validate);
        Assert.Contains("fail", validate);
    }

    [Fact]
    public void The_rbac_template_grants_what_k8s_base_rbac_yaml_grants()
    {
        var rendered = ChartTemplate.RenderPlain(Template("rbac.yaml"), Charts.Values(Chart), release: "canal-control", releaseNamespace: "istio-system");
        var chart = Rbac.GrantedTo(Yaml.Documents(rendered), "istio-system", "canal-control");
        var source = Rbac.GrantedTo(Yaml.Documents(File.ReadAllText(Path.Combine(Kustomize.K8s, "base", "rbac.yaml"))), "istio-system", "canal-control");

        Assert.Equal(source.Select(g => g.ToString()).Order(), chart.Select(g => g.ToString()).Order());
    }

    [Fact]
    public void The_bootstrap_rbac_template_is_rendered_only_for_several_replicas_and_grants_what_the_ha_overlay_grants()
    {
        var template = Template("rbac-bootstrap.yaml");
        var rendered = ChartTemplate.RenderPlain(template, Charts.Values(Chart), release: "canal-control", releaseNamespace: "istio-system");
        var chart = Rbac.GrantedTo(Yaml.Documents(rendered), "istio-system", "canal-control");
        var overlay = Rbac.GrantedTo(Yaml.Documents(File.ReadAllText(Path.Combine(Kustomize.K8s, "overlays", "ha", "bootstrap-rbac.yaml"))), "istio-system", "canal-control");

        Assert.Equal("if gt (int .Values.replicas) 1", ChartTemplate.Actions(template).First(a => !a.StartsWith("/*", StringComparison.Ordinal)));
        Assert.Equal(overlay.Select(g => g.ToString()).Order(), chart.Select(g => g.ToString()).Order());
        Assert.DoesNotContain(Rbac.GrantedTo(Yaml.Documents(ChartTemplate.RenderPlain(Template("rbac.yaml"), Charts.Values(Chart), "canal-control", "istio-system")), "istio-system", "canal-control"),
            g => g.Resource == "pods");
    }

    [Fact]
    public void The_nudge_rbac_template_is_rendered_only_with_nudgePods_and_grants_what_the_kustomize_component_grants()
    {
        var template = Template("rbac-nudge.yaml");
        var values = Charts.Values(Chart);
        Assert.Equal(false, (bool?)values["coreDns"]!["nudgePods"]);
        values["coreDns"]!["nudgePods"] = true;
        var chart = Rbac.GrantedTo(Yaml.Documents(ChartTemplate.RenderPlain(template, values, release: "canal-control", releaseNamespace: "istio-system")), "istio-system", "canal-control");
        var component = Rbac.GrantedTo(Yaml.Documents(File.ReadAllText(Path.Combine(Kustomize.K8s, "components", "nudge-coredns-pods", "rbac.yaml"))), "istio-system", "canal-control");

        Assert.Equal("if .Values.coreDns.nudgePods", ChartTemplate.Actions(template).First(a => !a.StartsWith("/*", StringComparison.Ordinal)));
        Assert.Equal(["get /pods/* in kube-system", "patch /pods/* in kube-system"], component.Select(g => g.ToString()).Order());
        Assert.Equal(component.Select(g => g.ToString()).Order(), chart.Select(g => g.ToString()).Order());
    }

    [Fact]
    public async Task The_deployment_template_sets_only_settings_of_canal_run_and_every_one_the_ha_overlay_sets()
    {
        // A list's entries come from `range`: Canal__Namespaces__{{ $i }} stands for every index.
        static string Entry(string name) => Regex.Replace(name, @"__(\d+|\{\{ \$i \}\})$", "__0");
        var chart = Regex.Matches(Template("deployment.yaml"), @"- name: (Canal__.+?)\s*$", RegexOptions.Multiline).Select(m => Entry(m.Groups[1].Value)).ToHashSet();
        var overlay = await Kustomize.Build("overlays/ha");
        var deployment = overlay.Single(o => (string?)o["kind"] == "Deployment");
        var ha = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray().Select(e => Entry((string)e!["name"]!));

        Assert.All(chart, name => Assert.True(ControllerSettings.IsSetting(name), $"{name} is not a setting of canal run"));
        Assert.Empty(ha.Except(chart));
    }

    [Fact]
    public async Task The_uninstall_hooks_wait_for_the_controllers_pods_succeeds_when_none_is_left()
    {
        // The hook scales the controller to 0, then waits with kubectl (the hook's default image is this
        // kubectl's version): when the pods are already gone, older kubectls fail with "no matching resources
        // found" and the purge never runs. The emulator serves no pods, so ConfigMaps stand in.
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);

        await kubectl.Ok("wait", "--for=delete", "configmaps", "--selector", "app.kubernetes.io/name=canal-control", "--namespace", "istio-system", "--timeout", "10s");
        Assert.Contains("kubectl:v1.32.", (string?)Charts.Values(Chart)["uninstall"]!["kubectlImage"]);
    }
}
