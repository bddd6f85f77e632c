using System.Text.Json;
using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>The emulator driven by the real kubectl: where they disagree, the emulator is wrong.</summary>
public sealed class KubectlTests
{
    private const string Corefile = ".:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n";

    private static readonly string[] SampleManifests =
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld"), "*.yaml").Order()];

    [Fact]
    public async Task The_dispatcher_runs_kubectl_1_32_and_it_falls_back_from_aggregated_discovery()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);

        // The dispatcher picks the kubectl matching the server's minor version; for 1.32 that is its own.
        var version = JsonNode.Parse(await kubectl.Ok("version", "-o", "json"))!;
        Assert.Equal("v1.32.4", (string?)version["serverVersion"]!["gitVersion"]);
        Assert.StartsWith("32", (string?)version["clientVersion"]!["minor"]);
        await kubectl.Ok("get", "virtualservices", "-A");

        // kubectl asked for aggregated discovery, got the plain documents, and then read each group version's.
        var discovery = server.DiscoveryLog;
        Assert.Contains(discovery, d => d.Path == "/apis" && d.Accept.Contains("as=APIGroupDiscoveryList"));
        Assert.Contains(discovery, d => d.Path == "/api/v1");
        Assert.Contains(discovery, d => d.Path == "/apis/networking.istio.io/v1");
        Assert.Contains(new RequestRecord("list", "networking.istio.io", "virtualservices", null, null, 200), server.RequestLog);
    }

    [Theory]
    [InlineData(Startup.Storage, "Error from server (TooManyRequests): storage is (re)initializing")]
    [InlineData(Startup.Rbac, "Error from server (Forbidden): virtualservices.networking.istio.io is forbidden: User \"system:serviceaccount:istio-system:canal-control\" cannot list resource \"virtualservices\" in API group \"networking.istio.io\" in the namespace \"default\": RBAC: clusterrole.rbac.authorization.k8s.io \"canal-control\" not found")]
    public async Task A_restarting_server_answers_as_a_real_one_does_and_kubectl_reads_it(Startup phase, string expected)
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        await kubectl.Ok("get", "virtualservices", "-n", "default");

        server.Faults.Starting = phase;
        var refused = await kubectl.Run("get", "virtualservices", "-n", "default");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(expected, refused.Error);
        server.Faults.Starting = Startup.Ready;
        await kubectl.Ok("get", "virtualservices", "-n", "default");
    }

    [Fact]
    public async Task Apply_creates_the_helloworld_sample_and_a_second_apply_changes_nothing()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);

        var first = await kubectl.Ok(["apply", "--validate=false", .. SampleManifests.SelectMany(f => new[] { "-f", f })]);
        Assert.Contains("gateway.networking.istio.io/canal created", first);
        Assert.Contains("service/canal created", first);
        Assert.Contains("service/helloworld created", first);
        Assert.Contains("virtualservice.networking.istio.io/helloworld created", first);

        var virtualService = server.Get("networking.istio.io", "v1", "virtualservices", "default", "helloworld")!;
        Assert.Equal(1, (int)virtualService["metadata"]!["generation"]!);
        Assert.Equal("helloworld.default.svc.cluster.local", (string?)virtualService["spec"]!["hosts"]![0]);
        var service = server.Get("", "v1", "services", "istio-system", "canal")!;
        Assert.StartsWith("10.96.", (string?)service["spec"]!["clusterIP"]);

        var rv = server.ResourceVersion;
        var second = await kubectl.Ok(["apply", "--validate=false", .. SampleManifests.SelectMany(f => new[] { "-f", f })]);
        Assert.Equal(4, second.Split('\n').Count(l => l.EndsWith(" unchanged")));
        Assert.Equal(rv, server.ResourceVersion);
    }

    [Fact]
    public async Task Apply_of_a_changed_service_sends_a_strategic_patch_that_merges_ports_by_number()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        var manifest = SampleManifests.Single(f => f.EndsWith("helloworld.yaml"));
        await kubectl.Ok("apply", "--validate=false", "-f", manifest);
        var changed = Path.Combine(Path.GetTempPath(), $"helloworld-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(changed, File.ReadAllText(manifest).Replace(
            "    - name: http\n      port: 5000\n",
            "    - name: web\n      port: 5001\n    - name: admin\n      port: 9000\n"));
        try
        {
            // kubectl sends $setElementOrder/ports and {"$patch":"delete","port":5000}: directives a merge patch lacks.
            Assert.Contains("service/helloworld configured", await kubectl.Ok("apply", "--validate=false", "-f", changed));
        }
        finally
        {
            File.Delete(changed);
        }

        var ports = server.Get("", "v1", "services", "default", "helloworld")!["spec"]!["ports"]!.AsArray();
        Assert.Equal([("web", 5001, 5001), ("admin", 9000, 9000)],
            ports.Select(p => ((string)p!["name"]!, (int)p["port"]!, (int)p["targetPort"]!)));
        Assert.Contains(new RequestRecord("patch", "", "services", "default", "helloworld", 200), server.RequestLog);
    }

    [Fact]
    public async Task Get_as_yaml_shows_virtual_services_of_every_namespace_and_the_coredns_config_map()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        server.Apply(File.ReadAllText(SampleManifests.Single(f => f.EndsWith("helloworld.yaml"))));
        server.Apply(VirtualService("istio-system", "other", "other.example.com"));
        SeedCoreDns(server);

        var list = Yaml.Documents(await kubectl.Ok("get", "virtualservices", "-A", "-o", "yaml")).Single();
        Assert.Equal("List", (string?)list["kind"]);
        Assert.Equal(["default/helloworld", "istio-system/other"],
            list["items"]!.AsArray().Select(i => $"{i!["metadata"]!["namespace"]}/{i["metadata"]!["name"]}"));
        Assert.All(list["items"]!.AsArray(), i => Assert.Equal("networking.istio.io/v1", (string?)i!["apiVersion"]));

        var coredns = Yaml.Documents(await kubectl.Ok("get", "configmap", "-n", "kube-system", "coredns", "-o", "yaml")).Single();
        Assert.Equal(Corefile, (string?)coredns["data"]!["Corefile"]);
        Assert.Equal(server.Get("", "v1", "configmaps", "kube-system", "coredns")!["metadata"]!["resourceVersion"]!.ToString(),
            (string?)coredns["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task Get_watch_sees_changes_made_after_it_started()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        SeedCoreDns(server);

        using (var watch = kubectl.StartBackground("get", "configmaps", "-n", "kube-system", "-w", "--output-watch-events"))
        {
            await watch.WaitForLine(l => l.StartsWith("ADDED") && l.Contains("coredns"), "the initial list");
            await Support.Eventually.True(() => server.OpenWatches == 1, "kubectl's watch to open");

            await kubectl.Ok("patch", "configmap", "-n", "kube-system", "coredns", "--type", "merge", "-p", """{"data":{"extra":"1"}}""");
            await watch.WaitForLine(l => l.StartsWith("MODIFIED") && l.Contains("coredns"), "the change");
            server.Delete("", "configmaps", "kube-system", "coredns");
            await watch.WaitForLine(l => l.StartsWith("DELETED") && l.Contains("coredns"), "the deletion");
        }
        await Support.Eventually.True(() => server.OpenWatches == 0, "the watch to close when kubectl is gone");
    }

    [Fact]
    public async Task Replace_with_a_stale_resource_version_fails_with_a_conflict()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        SeedCoreDns(server);
        var stale = Path.Combine(Path.GetTempPath(), $"stale-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(stale, await kubectl.Ok("get", "configmap", "-n", "kube-system", "coredns", "-o", "yaml"));
        try
        {
            await kubectl.Ok("patch", "configmap", "-n", "kube-system", "coredns", "--type", "merge", "-p", """{"data":{"other":"editor"}}""");

            var replace = await kubectl.Run("replace", "--validate=false", "-f", stale);

            Assert.Equal(1, replace.ExitCode);
            Assert.Contains("Error from server (Conflict)", replace.Error);
            Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", replace.Error);
            Assert.Equal("editor", (string?)server.Get("", "v1", "configmaps", "kube-system", "coredns")!["data"]!["other"]);
            Assert.Contains(new RequestRecord("update", "", "configmaps", "kube-system", "coredns", 409), server.RequestLog);
        }
        finally
        {
            File.Delete(stale);
        }
    }

    [Fact]
    public async Task Delete_removes_the_object_and_a_second_delete_is_not_found()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        server.Apply(VirtualService("default", "doomed", "doomed.example.com"));

        Assert.Contains("virtualservice.networking.istio.io \"doomed\" deleted", await kubectl.Ok("delete", "virtualservice", "doomed"));
        Assert.Null(server.Get("networking.istio.io", "v1", "virtualservices", "default", "doomed"));

        var again = await kubectl.Run("delete", "virtualservice", "doomed");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("Error from server (NotFound): virtualservices.networking.istio.io \"doomed\" not found", again.Error);
    }

    [Fact]
    public async Task Patch_merges_custom_resources_only_as_merge_patches_and_built_in_kinds_strategically()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        server.Apply(VirtualService("default", "hello", "hello.example.com"));
        server.Apply(File.ReadAllText(SampleManifests.Single(f => f.EndsWith("helloworld.yaml"))));

        await kubectl.Ok("patch", "virtualservice", "hello", "--type", "merge", "-p", """{"spec":{"hosts":["hi.example.com"]}}""");
        var patched = server.Get("networking.istio.io", "v1", "virtualservices", "default", "hello")!;
        Assert.Equal("hi.example.com", (string?)patched["spec"]!["hosts"]![0]);
        Assert.Equal(2, (int)patched["metadata"]!["generation"]!);

        // kubectl's default patch type is strategic, which the real server refuses for custom resources.
        var strategic = await kubectl.Run("patch", "virtualservice", "hello", "-p", """{"spec":{"hosts":["x.example.com"]}}""");
        Assert.Equal(1, strategic.ExitCode);
        Assert.Contains("application/strategic-merge-patch+json is not supported by networking.istio.io/v1, Kind=VirtualService", strategic.Error);

        // A Service's ports merge by port number.
        await kubectl.Ok("patch", "service", "helloworld", "-p", """{"spec":{"ports":[{"port":5001,"name":"admin"}]}}""");
        var ports = server.Get("", "v1", "services", "default", "helloworld")!["spec"]!["ports"]!.AsArray();
        Assert.Equal([5000, 5001], ports.Select(p => (int)p!["port"]!));
    }

    [Fact]
    public async Task Label_and_field_selectors_select_on_the_server()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);
        server.Apply(ConfigMap("default", "a", "x"));
        server.Apply(ConfigMap("default", "b", "y"));
        server.Apply(ConfigMap("kube-system", "c", "x"));

        Assert.Equal(["configmap/a", "configmap/c"], Lines(await kubectl.Ok("get", "configmaps", "-A", "-l", "app=x", "-o", "name")));
        Assert.Equal(["configmap/a", "configmap/b"], Lines(await kubectl.Ok("get", "configmaps", "-l", "app in (x,y)", "-o", "name")));
        Assert.Equal(["configmap/b"], Lines(await kubectl.Ok("get", "configmaps", "-A", "-l", "app!=x,app", "-o", "name")));
        Assert.Equal(["configmap/b"], Lines(await kubectl.Ok("get", "configmaps", "-A", "--field-selector", "metadata.name=b", "-o", "name")));
        Assert.Equal(["configmap/c"], Lines(await kubectl.Ok("get", "configmaps", "-A", "--field-selector", "metadata.namespace!=default", "-o", "name")));

        var unsupported = await kubectl.Run("get", "configmaps", "--field-selector", "data.x=1");
        Assert.Contains("field label not supported: data.x", unsupported.Error);
    }

    [Fact]
    public async Task Create_configmap_sends_protobuf_and_is_refused_twice()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var kubectl = new Kubectl(server);

        Assert.Contains("configmap/settings created", await kubectl.Ok("create", "configmap", "settings", "--from-literal=mode=fast", "--from-literal=level=3"));
        var created = server.Get("", "v1", "configmaps", "default", "settings")!;
        Assert.Equal("fast", (string?)created["data"]!["mode"]);
        Assert.Equal("3", (string?)created["data"]!["level"]);

        var again = await kubectl.Run("create", "configmap", "settings", "--from-literal=mode=slow");
        Assert.Contains("configmaps \"settings\" already exists", again.Error);
        var nowhere = await kubectl.Run("create", "configmap", "settings", "-n", "nowhere", "--from-literal=mode=slow");
        Assert.Contains("namespaces \"nowhere\" not found", nowhere.Error);
    }

    internal static void SeedCoreDns(KubeApiServer server) =>
        server.Apply(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "coredns", ["namespace"] = "kube-system" },
            ["data"] = new JsonObject { ["Corefile"] = Corefile },
        });

    internal static JsonObject ConfigMap(string ns, string name, string app) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = app } },
        ["data"] = new JsonObject { ["k"] = "v" },
    };

    internal static JsonObject VirtualService(string ns, string name, string host) =>
        JsonNode.Parse(JsonSerializer.Serialize(new
        {
            apiVersion = "networking.istio.io/v1",
            kind = "VirtualService",
            metadata = new { name, @namespace = ns },
            spec = new { hosts = new[] { host }, gateways = new[] { "istio-system/canal" } },
        }))!.AsObject();

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
