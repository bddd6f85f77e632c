using System.Text.Json;
using Canal.Contracts;
using Canal.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Canal.Tests.Cmd;

/// <summary>A local-mode <c>canal run</c> with its management API on a free port, shared by the read-only tests.</summary>
public sealed class LocalNode : IAsyncLifetime
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-cmd-");
    private CanalProcess? _canal;

    public string Endpoint { get; private set; } = "";
    public string TokenFile => Path.Combine(_temp.FullName, "token");
    public string CorefilePath => Path.Combine(_temp.FullName, "out", "Corefile");

    public async Task InitializeAsync()
    {
        var manifests = Samples.CopyTo(Samples.Helloworld, Path.Combine(_temp.FullName, "manifests"));
        File.WriteAllText(Path.Combine(manifests, "reviews.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: shop}
            spec:
              hosts: [reviews]
              gateways: [istio-system/canal]
              http: [{route: [{destination: {host: reviews}}]}]
            """);
        File.WriteAllText(TokenFile, "s3cret\n");
        var port = Ports.Free();
        Endpoint = $"127.0.0.1:{port}";
        _canal = CanalProcess.Start(_temp.FullName, "run", "--manifests", manifests, "--corefile", CorefilePath, "--data", Path.Combine(_temp.FullName, "data"),
            "--management-port", port.ToString(), "--management-token-file", TokenFile);
        await _canal.WaitForLine(l => l.Contains("write #1"), "the first write");
    }

    public async Task DisposeAsync()
    {
        if (_canal != null)
            await _canal.DisposeAsync();
        _temp.Delete(recursive: true);
    }
}

public sealed class CanalCmdTests(LocalNode node) : IClassFixture<LocalNode>
{
    private async Task<CanalProcess> Cmd(params string[] args)
    {
        var cmd = CanalProcess.Cmd(null, [node.Endpoint, .. args]);
        await cmd.WaitForExit();
        return cmd;
    }

    [Theory]
    [InlineData(new[] { "cluster", "show" }, "STATUS", "Up")]
    [InlineData(new[] { "sharding", "regions" }, "ENTITIES", "virtualservice")]
    [InlineData(new[] { "sharding", "region-stats", "virtualservice" }, "SHARD", "")]
    [InlineData(new[] { "sharding", "shard-stats", "namespace" }, "NODE", "akka.tcp://canal@")]
    [InlineData(new[] { "actor", "hierarchy", "/user", "--depth", "2" }, "/user/dns-writer", "/user/dns-writer/dns-writer")]
    [InlineData(new[] { "canal", "vs", "list" }, "VIRTUALSERVICE", "shop/reviews")]
    [InlineData(new[] { "canal", "vs", "list", "-n", "shop" }, "shop/reviews", "")]
    [InlineData(new[] { "canal", "vs", "show", "default/helloworld" }, "removed: false", "helloworld.default.svc.cluster.local")]
    [InlineData(new[] { "canal", "ns", "list" }, "NAMESPACE", "shop")]
    [InlineData(new[] { "canal", "ns", "show", "shop" }, "reviews.shop.svc.cluster.local", "shop/reviews")]
    [InlineData(new[] { "canal", "hosts" }, "redirected", "-> canal.istio-system.svc.cluster.local via gateway istio-system/canal")]
    [InlineData(new[] { "canal", "hosts" }, "COVERAGE", "partial: only uri prefix /hello is routed; other requests get 404")]
    [InlineData(new[] { "canal", "host", "helloworld.default.svc.cluster.local" }, "coverage: partial: only uri prefix /hello is routed; other requests get 404",
        "  1. default/helloworld spec.http[0]: uri prefix /hello -> 100 % to helloworld.default.svc.cluster.local\n  requests no route takes: 404 from the gateway")]
    [InlineData(new[] { "canal", "gateways" }, "istio-system/canal", "5000")]
    [InlineData(new[] { "canal", "dns", "show" }, "phase: Ready", "rewrite name exact helloworld.default.svc.cluster.local")]
    [InlineData(new[] { "canal", "dns", "diff" }, "no changes", "")]
    [InlineData(new[] { "version" }, "canal-cmd ", "canal ")]
    [InlineData(new[] { "help" }, "cluster", "sharding")]
    public async Task Every_read_command_answers_as_a_table(string[] command, string expected, string alsoExpected)
    {
        var cmd = await Cmd(command);
        Assert.True(cmd.ExitCode == 0, cmd.Output);
        Assert.Contains(expected, cmd.Output);
        Assert.Contains(alsoExpected, cmd.Output);
    }

    public static TheoryData<string[], Type> JsonAnswers() => new()
    {
        { ["cluster", "show"], typeof(ClusterView) },
        { ["sharding", "regions"], typeof(List<ShardRegionView>) },
        { ["sharding", "region-stats", "virtualservice"], typeof(RegionStatsView) },
        { ["sharding", "shard-stats", "namespace"], typeof(ShardStatsView) },
        { ["actor", "hierarchy", "/user"], typeof(ActorNodeView) },
        { ["canal", "vs", "list"], typeof(List<VirtualServiceSummaryView>) },
        { ["canal", "vs", "show", "shop/reviews"], typeof(VirtualServiceView) },
        { ["canal", "ns", "list"], typeof(List<NamespaceSummaryView>) },
        { ["canal", "ns", "show", "default"], typeof(NamespaceView) },
        { ["canal", "hosts"], typeof(List<HostView>) },
        { ["canal", "host", "helloworld.default.svc.cluster.local"], typeof(HostView) },
        { ["canal", "gateways"], typeof(List<GatewayView>) },
        { ["canal", "dns", "show"], typeof(DnsView) },
        { ["canal", "dns", "diff"], typeof(DnsDiffView) },
        { ["version"], typeof(VersionInfo) },
    };

    // Read strictly (every field the contract names must be there), so a field the table prints cannot go
    // missing from the server's answer without failing here.
    [Theory]
    [MemberData(nameof(JsonAnswers))]
    public async Task Every_command_answers_JSON_that_reads_back_into_the_API_contract_with_the_option_before_or_after_it(string[] command, Type contract)
    {
        foreach (var args in new string[][] { ["-o", "json", .. command], [.. command, "-o", "json"], [.. command, "--output=json"] })
        {
            var cmd = await Cmd(args);
            Assert.True(cmd.ExitCode == 0, cmd.Output);
            Assert.NotNull(JsonSerializer.Deserialize(cmd.Output, contract, ManagementJson.Options));
        }
    }

    [Fact]
    public async Task JSON_and_YAML_keep_text_readable()
    {
        var json = await Cmd("canal", "hosts", "-o", "json");
        Assert.Contains("\"reason\": \"-> canal.istio-system.svc.cluster.local", json.Output);
        Assert.DoesNotContain("\\u003E", json.Output);

        var yaml = await Cmd("canal", "hosts", "-o", "yaml");
        Assert.True(yaml.ExitCode == 0, yaml.Output);
        var hosts = (YamlSequenceNode)Yaml(yaml.Output);
        Assert.Contains(hosts.Cast<YamlMappingNode>(), h => h["host"].ToString() == "reviews.shop.svc.cluster.local" && h["status"].ToString() == "redirected");
    }

    private static YamlNode Yaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents[0].RootNode;
    }

    [Theory]
    [InlineData(new[] { "canal", "hosts", "--frobnicate" }, "--frobnicate", "canal-cmd canal hosts [options]")]
    [InlineData(new[] { "canal", "hosts", "extra" }, "extra", "canal-cmd canal hosts [options]")]
    [InlineData(new[] { "canal", "vs", "show" }, "Required argument 'namespace/name' missing", "canal-cmd canal vs show <namespace/name>")]
    [InlineData(new[] { "canal", "vs", "show", "helloworld" }, "helloworld is not namespace/name", "canal-cmd canal vs show <namespace/name>")]
    [InlineData(new[] { "canal", "hosts", "-o", "xml" }, "xml", "table|json|yaml")]
    [InlineData(new[] { "actor", "hierarchy", "--depth", "99" }, "--depth must be between 1 and 10", "canal-cmd actor hierarchy [<path>] [options]")]
    [InlineData(new[] { "no-such-palette" }, "no-such-palette", "Commands:")]
    public async Task Misuse_exits_2_with_what_is_wrong_and_the_usage_of_that_command(string[] command, string problem, string usage)
    {
        var cmd = await Cmd(command);

        Assert.Equal(2, cmd.ExitCode);
        Assert.Contains(problem, cmd.Output);
        Assert.Contains(usage, cmd.Output);
    }

    [Fact]
    public async Task Every_level_has_help()
    {
        var vs = await Cmd("canal", "vs", "--help");
        Assert.Equal(0, vs.ExitCode);
        Assert.Contains("list", vs.Output);
        Assert.Contains("show", vs.Output);
        var show = await Cmd("canal", "vs", "show", "--help");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("<namespace/name>", show.Output);
        Assert.Contains("-o, --output <table|json|yaml>", show.Output);
    }

    [Fact]
    public async Task Shells_complete_through_the_suggest_directive()
    {
        // As dotnet-suggest asks: the directive first, then the line typed so far and the cursor position.
        var cmd = CanalProcess.Cmd(null, "[suggest:8]", "canal dn");
        await cmd.WaitForExit();
        Assert.Equal(0, cmd.ExitCode);
        Assert.Equal(["dns"], cmd.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task The_prompt_parses_each_line_as_the_command_line_does_and_keeps_going_after_an_error()
    {
        var cmd = CanalProcess.Cmd("canal vs list\nno such command\n-o json canal hosts\ncanal gateways --output yaml\nexit\n", node.Endpoint);
        await cmd.WaitForExit();
        Assert.Equal(0, cmd.ExitCode);
        Assert.Contains("canal> ", cmd.Output);
        Assert.Contains("default/helloworld", cmd.Output);
        Assert.Contains("error: Unrecognized command or argument 'no'", cmd.Output);
        Assert.Contains("\"status\": \"redirected\"", cmd.Output);
        Assert.Contains("serviceFqdn: canal.istio-system.svc.cluster.local", cmd.Output);
    }

    [Fact]
    public async Task Unknown_objects_are_404_with_a_message()
    {
        var missing = await Cmd("canal", "vs", "show", "default/nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("404: no VirtualService default/nope", missing.Output);
        var host = await Cmd("canal", "host", "nope.default.svc.cluster.local");
        Assert.Equal(1, host.ExitCode);
        Assert.Contains("404: no VirtualService or route names nope.default.svc.cluster.local", host.Output);
        var region = await Cmd("sharding", "region-stats", "nope");
        Assert.Equal(1, region.ExitCode);
        Assert.Contains("no shard region nope", region.Output);
    }

    [Fact]
    public async Task A_wrong_token_changes_nothing_and_the_right_one_restores_and_resumes()
    {
        var before = File.ReadAllText(node.CorefilePath);
        var refused = await Cmd("--token", "wrong", "canal", "dns", "restore");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("401: wrong token", refused.Output);
        var anonymous = await Cmd("canal", "dns", "restore");
        Assert.Contains("401: missing bearer token", anonymous.Output);
        Assert.Equal(before, File.ReadAllText(node.CorefilePath));

        var restored = await Cmd("canal", "dns", "restore", "--token-file", node.TokenFile, "-o", "json");
        Assert.True(restored.ExitCode == 0, restored.Output);
        Assert.True(JsonSerializer.Deserialize<RestoreAnswer>(restored.Output, ManagementJson.Options)!.Restored, restored.Output);
        Assert.DoesNotContain("canal:begin", File.ReadAllText(node.CorefilePath));
        Assert.Contains("paused: true", (await Cmd("canal", "dns", "show")).Output);

        var resumed = await Cmd("--token-file", node.TokenFile, "-o", "json", "canal", "dns", "resume");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal("writing resumed", JsonSerializer.Deserialize<MessageAnswer>(resumed.Output, ManagementJson.Options)!.Message);
        await Eventually.True(() => WriteMarkers.Without(File.ReadAllText(node.CorefilePath)) == WriteMarkers.Without(before), "the section to come back after resume");
    }

    [Fact]
    public async Task Cannot_reach_a_node_is_an_error_that_says_where_it_looked()
    {
        var cmd = CanalProcess.Cmd(null, $"127.0.0.1:{Ports.Free()}", "cluster", "show");
        await cmd.WaitForExit();
        Assert.Equal(1, cmd.ExitCode);
        Assert.Contains("cannot reach canal at 127.0.0.1:", cmd.Output);
    }

    [Fact]
    public async Task A_second_canal_run_on_a_port_in_use_says_which_port_and_how_to_pick_another()
    {
        var temp = Directory.CreateTempSubdirectory("canal-busy-");
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        try
        {
            string[] Run(params string[] ports) =>
                ["run", "--manifests", temp.FullName, "--corefile", Path.Combine(temp.FullName, "Corefile"), "--data", Path.Combine(temp.FullName, "data"), .. ports];

            var management = CanalProcess.Start(temp.FullName, Run("--management-port", port.ToString()));
            await management.WaitForExit();
            Assert.Equal(2, management.ExitCode);
            Assert.Equal($"error: the management API cannot listen on 127.0.0.1:{port} (address already in use); pick a free port with --management-port (or Canal__ManagementPort)", management.Output.Trim());

            var remoting = CanalProcess.Start(temp.FullName, Run("--management-port", Ports.Free().ToString(), "--port", port.ToString()));
            await remoting.WaitForExit();
            Assert.Equal(2, remoting.ExitCode);
            Assert.Equal($"error: Akka remoting cannot listen on 127.0.0.1:{port} (address already in use); pick a free port with --port (or Canal__Port), or 0 for any", remoting.Output.Trim());
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_metrics_keep_their_Prometheus_names_types_and_labels_whatever_format_the_scraper_asks_for()
    {
        using var http = new HttpClient();
        // Prometheus asks for OpenMetrics first; Canal answers in the classic text format, so its names stay as they are.
        http.DefaultRequestHeaders.Accept.ParseAdd("application/openmetrics-text;version=1.0.0");
        var metrics = await http.GetStringAsync($"http://{node.Endpoint}/metrics");

        Assert.True(PrometheusText.Value(metrics, "canal_dns_writes_total") >= 1);
        Assert.True(PrometheusText.Value(metrics, "canal_hosts", ("status", "redirected"), ("coverage", "partial")) >= 1);
        Assert.Equal(0, PrometheusText.Value(metrics, "canal_hosts", ("status", "skipped"), ("coverage", "unknown")));
        Assert.Equal(1, PrometheusText.Value(metrics, "canal_sync_barrier_passed"));
        Assert.Equal(1, PrometheusText.Value(metrics, "canal_dns_writer_up"));
        Assert.Equal(0, PrometheusText.Value(metrics, "canal_watch_restarts_total"));
        Assert.Equal(0, PrometheusText.Value(metrics, "canal_events_failed_total"));
        Assert.Equal(0, PrometheusText.Value(metrics, "canal_dns_not_live_total"));
        Assert.True(PrometheusText.Value(metrics, "canal_entities", ("region", "namespace")) >= 1);
        Assert.True(PrometheusText.Value(metrics, "process_working_set_bytes") > 0);
        Assert.True(PrometheusText.Value(metrics, "dotnet_gc_heap_bytes") > 0);
        Assert.Contains("# TYPE canal_dns_write_latency_seconds_sum counter", metrics);
        Assert.DoesNotContain("otel_scope", metrics);
    }

    [Theory]
    [InlineData("a missing manifest directory", "--manifests", "missing", "error: manifest directory missing does not exist")]
    [InlineData("a debounce longer than the max delay", "--debounce-ms", "2000", "error: --debounce-ms must be at least 0 and --max-delay-ms at least the debounce")]
    [InlineData("a cluster domain that is not a name", "--cluster-domain", "cluster..local", "error: --cluster-domain \"cluster..local\" is not a DNS name such as cluster.local")]
    [InlineData("a DNS probe that is not an address and port", "--dns-probe", "coredns:53", "error: --dns-probe coredns:53 is not an address and port such as 127.0.0.1:53")]
    [InlineData("a propagation deadline of nothing", "--propagation-deadline-s", "0", "error: --propagation-deadline-s must be more than 0")]
    [InlineData("a port that is not a number", "--port", "", "error: Failed to convert configuration value 'not-a-port' at 'Canal:Port' to type 'System.Int32'.")]
    public async Task Canal_run_with_a_setting_it_cannot_use_names_it_and_exits_2_before_starting(string what, string flag, string value, string error)
    {
        Assert.NotEmpty(what);
        var temp = Directory.CreateTempSubdirectory("canal-settings-");
        try
        {
            var flags = new Dictionary<string, string>
            {
                ["--manifests"] = temp.FullName,
                ["--corefile"] = Path.Combine(temp.FullName, "Corefile"),
                ["--management-port"] = Ports.Free().ToString(),
            };
            if (value.Length > 0)
                flags[flag] = value;
            string[] args = ["run", .. flags.SelectMany(f => new[] { f.Key, f.Value })];
            // A setting can come from the environment as well as from a flag: the port is given that way.
            var canal = CanalProcess.Start(temp.FullName, value.Length == 0 ? new Dictionary<string, string> { ["Canal__Port"] = "not-a-port" } : [], args);
            await canal.WaitForExit();
            Assert.Equal(2, canal.ExitCode);
            Assert.Equal(error, canal.Output.Trim());
            Assert.False(File.Exists(Path.Combine(temp.FullName, "Corefile")));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_management_API_beyond_loopback_without_a_token_refuses_to_start()
    {
        var temp = Directory.CreateTempSubdirectory("canal-open-");
        try
        {
            var canal = CanalProcess.Start(temp.FullName, "run", "--manifests", temp.FullName, "--corefile", Path.Combine(temp.FullName, "Corefile"),
                "--management-host", "0.0.0.0", "--management-port", Ports.Free().ToString());
            await canal.WaitForExit();
            Assert.Equal(2, canal.ExitCode);
            Assert.Contains("give it a token (--management-token-file)", canal.Output);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }
}
