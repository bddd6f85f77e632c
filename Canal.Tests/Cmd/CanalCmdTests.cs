using System.Text.Json.Nodes;
using Canal.Tests.Support;

namespace Canal.Tests.Cmd;

/// <summary>A local-mode <c>canal run</c> with its management API on a free port, shared by the read-only tests.</summary>
public sealed class LocalNode : IAsyncLifetime
{
    private static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld");
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-cmd-");
    private CanalProcess? _canal;

    public string Endpoint { get; private set; } = "";
    public string TokenFile => Path.Combine(_temp.FullName, "token");
    public string CorefilePath => Path.Combine(_temp.FullName, "out", "Corefile");

    public async Task InitializeAsync()
    {
        var manifests = Directory.CreateDirectory(Path.Combine(_temp.FullName, "manifests")).FullName;
        foreach (var file in Directory.GetFiles(Sample, "*.yaml"))
            File.Copy(file, Path.Combine(manifests, Path.GetFileName(file)));
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
    [InlineData(new[] { "canal", "vs", "show", "default/helloworld" }, "sequenceNr: 1", "helloworld.default.svc.cluster.local")]
    [InlineData(new[] { "canal", "ns", "list" }, "NAMESPACE", "shop")]
    [InlineData(new[] { "canal", "ns", "show", "shop" }, "reviews.shop.svc.cluster.local", "shop/reviews")]
    [InlineData(new[] { "canal", "hosts" }, "redirected", "reviews.shop.svc.cluster.local")]
    [InlineData(new[] { "canal", "gateways" }, "istio-system/canal", "5000")]
    [InlineData(new[] { "canal", "dns", "show" }, "phase: Ready", "rewrite name exact helloworld.default.svc.cluster.local")]
    [InlineData(new[] { "canal", "dns", "diff" }, "no changes", "")]
    [InlineData(new[] { "version" }, "canal-cmd ", "canal ")]
    [InlineData(new[] { "help" }, "cluster leave <address>", "canal dns restore")]
    public async Task Every_read_command_answers_as_a_table(string[] command, string expected, string alsoExpected)
    {
        var cmd = await Cmd(command);
        Assert.True(cmd.ExitCode == 0, cmd.Output);
        Assert.Contains(expected, cmd.Output);
        Assert.Contains(alsoExpected, cmd.Output);
    }

    [Theory]
    [InlineData(new[] { "cluster", "show" }, "members")]
    [InlineData(new[] { "sharding", "regions" }, "[0].type")]
    [InlineData(new[] { "canal", "vs", "list" }, "[0].key")]
    [InlineData(new[] { "canal", "vs", "show", "shop/reviews" }, "claims")]
    [InlineData(new[] { "canal", "ns", "show", "default" }, "claims")]
    [InlineData(new[] { "canal", "hosts" }, "[0].status")]
    [InlineData(new[] { "canal", "gateways" }, "[0].serviceFqdn")]
    [InlineData(new[] { "canal", "dns", "show" }, "section")]
    [InlineData(new[] { "canal", "dns", "diff" }, "wanted")]
    public async Task Every_read_command_answers_as_JSON_for_scripts(string[] command, string field)
    {
        var cmd = await Cmd(["-o", "json", .. command]);
        Assert.True(cmd.ExitCode == 0, cmd.Output);
        var answer = JsonNode.Parse(cmd.Output)!;
        var node = field.StartsWith("[0].") ? answer.AsArray()[0]![field[4..]] : answer[field];
        Assert.NotNull(node);
    }

    [Fact]
    public async Task The_interactive_prompt_runs_each_line_and_keeps_going_after_an_error()
    {
        var cmd = CanalProcess.Cmd("canal vs list\nno such command\ncanal hosts\nexit\n", node.Endpoint);
        await cmd.WaitForExit();
        Assert.Equal(0, cmd.ExitCode);
        Assert.Contains("canal> ", cmd.Output);
        Assert.Contains("default/helloworld", cmd.Output);
        Assert.Contains("unknown palette no", cmd.Output);
        Assert.Contains("redirected", cmd.Output);
    }

    [Fact]
    public async Task Unknown_objects_are_404_with_a_message_and_misuse_exits_2()
    {
        var missing = await Cmd("canal", "vs", "show", "default/nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("404: no VirtualService default/nope", missing.Output);
        var region = await Cmd("sharding", "region-stats", "nope");
        Assert.Equal(1, region.ExitCode);
        Assert.Contains("no shard region nope", region.Output);
        var misuse = await Cmd("canal", "vs", "show");
        Assert.Equal(2, misuse.ExitCode);
        Assert.Contains("missing namespace/name", misuse.Output);
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

        var restored = await Cmd("--token-file", node.TokenFile, "canal", "dns", "restore");
        Assert.True(restored.ExitCode == 0, restored.Output);
        Assert.DoesNotContain("canal:begin", File.ReadAllText(node.CorefilePath));
        Assert.Contains("paused: true", (await Cmd("canal", "dns", "show")).Output);

        var resumed = await Cmd("--token-file", node.TokenFile, "canal", "dns", "resume");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        await Eventually.True(() => File.ReadAllText(node.CorefilePath) == before, "the section to come back after resume");
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
