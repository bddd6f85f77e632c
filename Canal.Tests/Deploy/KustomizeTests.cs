using System.Text.Json.Nodes;

namespace Canal.Tests.Deploy;

/// <summary>k8s/overlays, rendered by the real kubectl, hold a controller that can start, be probed and find its peers.</summary>
public sealed class KustomizeTests
{
    private const string Namespace = "istio-system";
    private const string Name = "canal-control";
    // The writable places the image is built for (Dockerfile): everything else is a read-only root filesystem.
    private static readonly string[] Writable = ["/tmp", "/var/lib/canal"];

    public static TheoryData<string> Overlays => ["single", "ha"];

    private static JsonObject Container(JsonObject deployment) =>
        Assert.Single(deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray(), c => (string?)c!["name"] == "canal")!.AsObject();

    private static Dictionary<string, JsonNode> Env(JsonObject container) =>
        container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);

    private static string? Value(JsonObject container, string name) => Env(container).TryGetValue(name, out var env) ? (string?)env["value"] : null;

    private static bool Selects(JsonNode? selector, JsonNode? labels) =>
        selector!.AsObject().All(p => (string?)labels![p.Key] == (string?)p.Value);

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_object_parses_and_the_controller_has_its_ports_probes_settings_and_labels(string overlay)
    {
        var objects = await Kustomize.Build($"overlays/{overlay}");

        foreach (var o in objects)
        {
            Assert.False(string.IsNullOrEmpty((string?)o["apiVersion"]), o.ToJsonString());
            Assert.False(string.IsNullOrEmpty((string?)o["metadata"]?["name"]), o.ToJsonString());
            if ((string?)o["kind"] is not ("ClusterRole" or "ClusterRoleBinding"))
                Assert.False(string.IsNullOrEmpty((string?)o["metadata"]!["namespace"]), $"{o["kind"]} {o["metadata"]!["name"]} has no namespace");
        }
        var deployment = Kustomize.One(objects, "Deployment", Name);
        var pod = deployment["spec"]!["template"]!;
        var container = Container(deployment);

        var ports = container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (long)p!["containerPort"]!);
        Assert.Equal(new Dictionary<string, long> { ["remoting"] = 4053, ["api"] = 9110 }, ports);
        Assert.Equal("4053", Value(container, "Canal__Port"));
        Assert.Equal("9110", Value(container, "Canal__ManagementPort"));
        Assert.Equal("0.0.0.0", Value(container, "Canal__ManagementHost"));
        Assert.Equal("status.podIP", (string?)Env(container)["Canal__Host"]["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.All(Env(container).Keys, name => Assert.True(ControllerSettings.IsSetting(name), $"{name} is not a setting of canal run"));

        foreach (var (probe, path) in new[] { ("startupProbe", "/health/startup"), ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready") })
        {
            Assert.Equal(path, (string?)container[probe]!["httpGet"]!["path"]);
            Assert.Equal(9110, ports[(string)container[probe]!["httpGet"]!["port"]!]);
        }

        Assert.Equal(["run"], container["args"]!.AsArray().Select(a => (string)a!));
        Assert.True((bool)pod["spec"]!["securityContext"]!["runAsNonRoot"]!);
        Assert.True((bool)container["securityContext"]!["readOnlyRootFilesystem"]!);
        var writable = container["volumeMounts"]!.AsArray().Where(m => m!["readOnly"] is null || !(bool)m["readOnly"]!).Select(m => (string)m!["mountPath"]!);
        Assert.Equal(Writable, writable.Order());
        var tokenFile = Value(container, "Canal__ManagementTokenFile")!;
        var tokenMount = Assert.Single(container["volumeMounts"]!.AsArray(), m => tokenFile.StartsWith((string)m!["mountPath"]! + "/"))!;
        var tokenVolume = Assert.Single(pod["spec"]!["volumes"]!.AsArray(), v => (string?)v!["name"] == (string?)tokenMount["name"])!;
        Assert.Equal("canal-control-token", (string?)tokenVolume["secret"]!["secretName"]);

        // Cluster bootstrap selects the replicas by app.kubernetes.io/name=canal-control.
        Assert.Equal(Name, (string?)pod["metadata"]!["labels"]!["app.kubernetes.io/name"]);
        Assert.True(Selects(deployment["spec"]!["selector"]!["matchLabels"], pod["metadata"]!["labels"]));
        var account = (string)pod["spec"]!["serviceAccountName"]!;
        Kustomize.One(objects, "ServiceAccount", account);

        var service = Kustomize.One(objects, "Service", Name);
        Assert.Equal("None", (string?)service["spec"]!["clusterIP"]);
        Assert.True(Selects(service["spec"]!["selector"], pod["metadata"]!["labels"]));
        Assert.Contains(service["spec"]!["ports"]!.AsArray(), p => (string?)p!["name"] == "remoting" && (long)p["port"]! == 4053);
        Assert.True(Selects(Kustomize.One(objects, "PodDisruptionBudget", Name)["spec"]!["selector"]!["matchLabels"], pod["metadata"]!["labels"]));
    }

    [Fact]
    public async Task Single_runs_one_replica_with_its_sqlite_journal_on_a_persistent_volume()
    {
        var objects = await Kustomize.Build("overlays/single");
        var deployment = Kustomize.One(objects, "Deployment", Name);
        var container = Container(deployment);

        Assert.Equal(1, (long)deployment["spec"]!["replicas"]!);
        Assert.Equal("Recreate", (string?)deployment["spec"]!["strategy"]!["type"]);
        Assert.DoesNotContain(Env(container).Keys, k => k == "Canal__Postgres" || k.StartsWith("Canal__Bootstrap__"));
        var dataMount = Assert.Single(container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/var/lib/canal")!;
        var data = Assert.Single(deployment["spec"]!["template"]!["spec"]!["volumes"]!.AsArray(), v => (string?)v!["name"] == (string?)dataMount["name"])!.AsObject();
        Assert.False(data.ContainsKey("emptyDir"), data.ToJsonString());
        var claim = Kustomize.One(objects, "PersistentVolumeClaim", (string)data["persistentVolumeClaim"]!["claimName"]!);
        Assert.Equal(Namespace, (string?)claim["metadata"]!["namespace"]);
        Assert.Equal(["ReadWriteOnce"], claim["spec"]!["accessModes"]!.AsArray().Select(m => (string)m!));
    }

    [Fact]
    public async Task Ha_runs_three_replicas_on_postgresql_that_find_each_other_by_their_labels()
    {
        var objects = await Kustomize.Build("overlays/ha");
        var deployment = Kustomize.One(objects, "Deployment", Name);
        var container = Container(deployment);
        var replicas = (long)deployment["spec"]!["replicas"]!;

        Assert.Equal(3, replicas);
        Assert.DoesNotContain(objects, o => (string?)o["kind"] == "PersistentVolumeClaim");
        var postgres = Env(container)["Canal__Postgres"]["valueFrom"]!["secretKeyRef"]!;
        Assert.Equal(("canal-control-postgres", "connection-string"), ((string?)postgres["name"], (string?)postgres["key"]));
        Assert.Equal("true", Value(container, "Canal__Bootstrap__Enabled"));
        Assert.Equal(replicas.ToString(), Value(container, "Canal__Bootstrap__RequiredContactPoints"));
        var selector = Value(container, "Canal__Bootstrap__LabelSelector")!.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => (JsonNode?)p[1]);
        Assert.True(Selects(new JsonObject(selector), deployment["spec"]!["template"]!["metadata"]!["labels"]), "the bootstrap selector does not select the pods");
        // Rolling one at a time, without a surge, keeps two of three: the split brain resolver's majority.
        Assert.Equal(0, (long)deployment["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]!);
        Assert.Equal(1, (long)Kustomize.One(objects, "PodDisruptionBudget", Name)["spec"]!["maxUnavailable"]!);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_rendered_rbac_grants_the_controller_exactly_base_rbac_yaml_and_pods_only_where_bootstrap_runs(string overlay)
    {
        var rendered = Rbac.GrantedTo(await Kustomize.Build($"overlays/{overlay}"), Namespace, Name);
        var files = overlay == "ha" ? new[] { "base/rbac.yaml", "overlays/ha/bootstrap-rbac.yaml" } : ["base/rbac.yaml"];
        var source = files.SelectMany(f => Rbac.GrantedTo(KubeApi.Yaml.Documents(File.ReadAllText(Path.Combine(Kustomize.K8s, f))), Namespace, Name));

        Assert.Equal(source.Select(g => g.ToString()).Order(), rendered.Select(g => g.ToString()).Order());
        Assert.Equal(overlay == "ha", rendered.Contains(new Grant(Namespace, "", "pods", "list", "*")));
    }

    [Fact]
    public async Task The_nudge_component_turns_the_nudge_on_and_adds_only_get_and_patch_on_pods_in_kube_system()
    {
        var objects = await Kustomize.BuildWith("single", "nudge-coredns-pods");
        var single = await Kustomize.Build("overlays/single");

        Assert.Equal("true", Value(Container(Kustomize.One(objects, "Deployment", Name)), "Canal__NudgeCorednsPods"));
        Assert.Equal(["get /pods/* in kube-system", "patch /pods/* in kube-system"],
            Rbac.GrantedTo(objects, Namespace, Name).Except(Rbac.GrantedTo(single, Namespace, Name)).Select(g => g.ToString()).Order());
        Assert.Equal("false", Value(Container(Kustomize.One(single, "Deployment", Name)), "Canal__NudgeCorednsPods"));
    }
}
