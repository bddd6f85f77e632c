using System.Text.Json;
using Canal.Contracts;
using Canal.Tests.Support;

namespace Canal.Tests.Cmd;

/// <summary><c>canal-cmd cluster leave|down</c> against real nodes sharing a PostgreSQL journal.</summary>
[Collection(ClusterTimingCollection.Name)]
public sealed class ClusterMembershipTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-members-");
    private readonly List<CanalProcess> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    // xUnit 2 ends a test class through IAsyncLifetime; an IAsyncDisposable one is never disposed (its processes outlived the suite).
    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        _temp.Delete(recursive: true);
    }

    private async Task<(CanalProcess Process, string Address, string Management)> Node(string journal, int? seedPort = null)
    {
        var port = Ports.Free();
        var management = Ports.Free();
        var address = $"akka.tcp://canal@127.0.0.1:{port}";
        var manifests = Path.Combine(_temp.FullName, "manifests");
        if (!Directory.Exists(manifests))
        {
            Samples.CopyTo(Samples.Helloworld, manifests);
        }
        File.WriteAllText(Path.Combine(_temp.FullName, "token"), "t0ken");
        var node = CanalProcess.Start(_temp.FullName, "run", "--management-token-file", Path.Combine(_temp.FullName, "token"), "--manifests", manifests, "--corefile", Path.Combine(_temp.FullName, "Corefile"),
            "--postgres", journal, "--port", port.ToString(), "--seed-node", $"akka.tcp://canal@127.0.0.1:{seedPort ?? port}",
            "--management-port", management.ToString());
        _nodes.Add(node);
        await node.WaitForLine(l => l.Contains("canal run:"), "the node to start");
        return (node, address, $"127.0.0.1:{management}");
    }

    private static async Task<IReadOnlyList<MemberView>> Members(string management)
    {
        var cmd = CanalProcess.Cmd(null, management, "-o", "json", "cluster", "show");
        await cmd.WaitForExit();
        return cmd.ExitCode == 0 ? JsonSerializer.Deserialize<ClusterView>(cmd.Output, ManagementJson.Options)!.Members : [];
    }

    private static Task UpMembers(string management, params string[] addresses) =>
        Eventually.True(() =>
        {
            var members = Members(management).Result;
            return members.Count == addresses.Length && addresses.All(a => members.Any(m => m.Address == a && m.Status == "Up"));
        }, $"exactly [{string.Join(", ", addresses)}] to be Up", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Leave_and_down_really_change_membership()
    {
        var journal = await postgres.CreateDatabase();
        var a = await Node(journal);
        var b = await Node(journal, seedPort: int.Parse(a.Address.Split(':')[^1]));
        await UpMembers(a.Management, a.Address, b.Address);

        var leave = CanalProcess.Cmd(null, a.Management, "--token", "t0ken", "cluster", "leave", b.Address);
        await leave.WaitForExit();
        Assert.True(leave.ExitCode == 0, leave.Output);
        await UpMembers(a.Management, a.Address);
        await b.Process.WaitForExit();

        var tail = CanalProcess.Cmd(null, a.Management, "cluster", "tail");
        await tail.WaitForLine(l => l.StartsWith("MemberUp " + a.Address), "the tail to start with the current members");
        var c = await Node(journal, seedPort: int.Parse(a.Address.Split(':')[^1]));
        await UpMembers(a.Management, a.Address, c.Address);
        await tail.WaitForLine(l => l.StartsWith("MemberUp " + c.Address), "the tail to show the new member");
        await tail.DisposeAsync();
        var down = CanalProcess.Cmd(null, a.Management, "--token", "t0ken", "cluster", "down", c.Address);
        await down.WaitForExit();
        Assert.True(down.ExitCode == 0, down.Output);
        await UpMembers(a.Management, a.Address);
        await c.Process.WaitForExit();
    }
}
