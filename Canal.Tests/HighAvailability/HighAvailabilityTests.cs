using System.Diagnostics;
using Canal.Contracts;
using Canal.Dns;
using Canal.Tests.KubernetesMode;
using Canal.Tests.Support;
using Xunit.Abstractions;

namespace Canal.Tests.HighAvailability;

/// <summary>Three real Canal nodes on one PostgreSQL journal against the API emulator: node loss never costs a redirect.</summary>
[Collection(ClusterTimingCollection.Name)]
public sealed class HighAvailabilityTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static string Fqdn(string name, string ns) => $"{name}.{ns}.svc.cluster.local";

    private async Task<(KubeCluster Cluster, ReplicaSet Set)> ThreeNodes()
    {
        var cluster = await KubeCluster.Start();
        return await Owning(cluster, async () =>
        {
            cluster.ApplySample();
            for (var i = 0; i < 10; i++)
                cluster.Api.Apply(KubeCluster.Namespace($"team-{i}"));
            var set = new ReplicaSet(cluster, await postgres.CreateDatabase());
            var a = await set.Start();
            var b = await set.Start();
            var c = await set.Start();
            // Every node must see all three Up, not only the first: a node that still saw itself joining when the
            // first was killed counted one member against one and its split brain resolver downed the survivors.
            foreach (var observer in new[] { a, b, c })
                await ReplicaSet.AllUp(observer, a, b, c);
            return (cluster, set);
        });
    }

    /// <summary>Three nodes with hosts that must survive everything: created first, never touched, written.</summary>
    private async Task<(KubeCluster Cluster, ReplicaSet Set, string[] Stable)> ThreeNodesWithStableHosts()
    {
        var (cluster, set) = await ThreeNodes();
        return await Owning(cluster, async () =>
        {
            for (var i = 0; i < 10; i++)
                set.Apply($"team-{i}", "stable", "stable");
            await set.Converged();
            return (cluster, set, (string[])[.. Enumerable.Range(0, 10).Select(i => Fqdn("stable", $"team-{i}"))]);
        });
    }

    /// <summary>Sets <paramref name="cluster"/> up; if that fails the test never gets to dispose it, so its canal processes are stopped here.</summary>
    private static async Task<T> Owning<T>(KubeCluster cluster, Func<Task<T>> setUp)
    {
        try
        {
            return await setUp();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a VirtualService routing to <paramref name="name"/> and waits until its redirect is written.</summary>
    private static Task Lands(KubeCluster cluster, ReplicaSet set, string name, string what, int seconds = 60)
    {
        set.Apply("default", name, name);
        // On a timeout, what each replica said last is the only clue to why (these tests are about timing).
        return Eventually.True(() => CorefileUpdate.RedirectedHosts(cluster.Corefile()).Contains(Fqdn(name, "default")),
            () => $"{what}; the replicas said last:\n" + string.Join("\n", set.Replicas.Select(r => $"[{r.Address}]\n  " + string.Join("\n  ", r.Process.Lines.TakeLast(15)))),
            TimeSpan.FromSeconds(seconds));
    }

    /// <summary>Every revision stored from the first that held all of <paramref name="stable"/> on still holds them all.</summary>
    private static void NoRevisionLost(KubeCluster cluster, string[] stable)
    {
        var revisions = cluster.CorefileRevisions().Select(CorefileUpdate.RedirectedHosts).ToList();
        var first = revisions.FindIndex(r => stable.All(r.Contains));
        Assert.True(first >= 0, "the stable hosts were never all written");
        var lost = revisions.Skip(first).Select((r, i) => (i: i + first, missing: stable.Where(h => !r.Contains(h)).ToList())).Where(x => x.missing.Count > 0).ToList();
        Assert.True(lost.Count == 0, "revisions lacking a stable redirect: " + string.Join("; ", lost.Select(l => $"#{l.i}: {string.Join(",", l.missing)}")));
    }

    private static async Task Burst(ReplicaSet set, int changes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < changes && !cancellationToken.IsCancellationRequested; i++)
        {
            var ns = $"team-{i % 10}";
            if (i % 5 == 4)
                set.Delete(ns, $"burst-{(i - 2) % 40}");
            else
                set.Apply(ns, $"burst-{i % 40}", $"svc-{i % 70}");
            await Task.Delay(10, cancellationToken);
        }
    }

    [Fact]
    public async Task Three_nodes_form_a_cluster_and_spread_the_entities_over_all_of_them()
    {
        var (cluster, set) = await ThreeNodes();
        await using var _ = cluster;
        // Shards are placed when first used: wait until every node's region has registered, or the first
        // ones take them all and only a later rebalance spreads them.
        await Eventually.True(() => ReplicaSet.Ask<List<ShardRegionView>>(set.Replicas[0].Management, "sharding", "regions").Result?
            .All(r => r.Nodes == 3) == true, "every node's shard regions to register", TimeSpan.FromSeconds(60));
        for (var i = 0; i < 60; i++)
            set.Apply($"team-{i % 10}", $"vs-{i}", $"svc-{i}");
        await set.Converged();
        // VirtualService entities stop once delivered; the namespace entities, which hold the claims, stay.
        await Eventually.True(() =>
        {
            var stats = ReplicaSet.Ask<ShardStatsView>(set.Replicas[0].Management, "sharding", "shard-stats", "namespace").Result?.Nodes;
            return stats?.Count == 3 && stats.All(node => node.Value.Values.Sum() > 0);
        }, "namespace entities on all three nodes", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Killing_the_DnsWriters_node_during_a_burst_moves_the_singleton_and_loses_no_redirect()
    {
        var (cluster, set, stable) = await ThreeNodesWithStableHosts();
        await using var _ = cluster;

        using var stop = new CancellationTokenSource();
        var burst = Burst(set, 400, stop.Token);
        await Eventually.True(() => CorefileUpdate.RedirectedHosts(cluster.Corefile()).Any(h => h.StartsWith("svc-")), "the burst to start landing");
        var killed = Stopwatch.StartNew();
        await set.Replicas[0].Process.Crash();
        await burst;
        await Lands(cluster, set, "after-kill", "a change after the kill to land");
        output.WriteLine($"kill -9 of the DnsWriter's node: a change made after it was written {killed.Elapsed.TotalSeconds:F1} s after the kill");
        await set.Converged();
        NoRevisionLost(cluster, stable);
    }

    [Fact]
    public async Task A_fail_over_posts_no_Event_for_what_did_not_change()
    {
        var (cluster, set, _) = await ThreeNodesWithStableHosts();
        await using var __ = cluster;
        int Created() => cluster.Api.RequestLog.Count(r => r.Verb == "create" && r.Resource == "events" && r.StatusCode == 201);
        bool Told(string vs) => cluster.Api.List("", "v1", "events", null).Any(e => (string?)e["involvedObject"]?["name"] == vs);
        // helloworld and the ten stable VirtualServices: one Redirected Event each.
        await Eventually.True(() => Created() == 11, () => $"the first DnsWriter's 11 Events; {Created()} so far");

        await set.Replicas[0].Process.Crash();
        await Lands(cluster, set, "after-kill", "a change after the kill to land");
        await Eventually.True(() => Told("after-kill"), "the Event of the change, from the DnsWriter that took over");

        Assert.Equal(12, Created());
        Assert.DoesNotContain(cluster.Api.RequestLog, r => r.Verb == "patch" && r.Resource == "events");
    }

    [Fact]
    public async Task A_rolling_restart_under_steady_change_hands_over_in_seconds_and_loses_no_redirect()
    {
        var (cluster, set, stable) = await ThreeNodesWithStableHosts();
        await using var _ = cluster;

        using var stop = new CancellationTokenSource();
        var changes = Burst(set, 100_000, stop.Token);
        foreach (var replica in set.Replicas.ToList())
        {
            var handOver = Stopwatch.StartNew();
            await replica.Process.Stop();
            var marker = $"after-{replica.Address.Split(':')[^1]}";
            await Lands(cluster, set, marker, $"{marker} to land");
            output.WriteLine($"SIGTERM of {replica.Address}: the next change was written {handOver.Elapsed.TotalSeconds:F1} s later; "
                + string.Join(" | ", set.Replicas.SelectMany(r => r.Process.Lines.Where(l => l.Contains("sync barrier passed")).TakeLast(1))));
            var fresh = await set.Start();
            await Eventually.True(() => ReplicaSet.Ask<ClusterView>(fresh.Management, "cluster", "show").Result?.Members.Count(m => m.Status == "Up") == 3,
                "the restarted node to be Up with the others", TimeSpan.FromSeconds(60));
        }
        await stop.CancelAsync();
        await changes.ContinueWith(_ => { });
        await set.Converged();
        NoRevisionLost(cluster, stable);
    }

    [Fact]
    public async Task A_frozen_node_is_downed_by_the_majority_and_writes_nothing_stale_when_it_thaws()
    {
        var (cluster, set, stable) = await ThreeNodesWithStableHosts();
        await using var _ = cluster;

        var frozen = set.Replicas[0];
        await frozen.Process.Signal("STOP");
        await Lands(cluster, set, "during-partition", "the majority to write a change made during the partition", seconds: 120);
        var revisions = cluster.CorefileRevisions().Count;

        await frozen.Process.Signal("CONT");
        await frozen.Process.WaitForExit();
        set.Apply("default", "after-thaw", "after-thaw");
        await set.Converged();
        foreach (var revision in cluster.CorefileRevisions().Skip(revisions))
            Assert.Contains(Fqdn("during-partition", "default"), CorefileUpdate.RedirectedHosts(revision));
        NoRevisionLost(cluster, stable);
    }

    [Fact]
    public async Task A_second_node_on_SQLite_refuses_to_start_and_says_what_to_configure()
    {
        await using var cluster = await KubeCluster.Start();
        var port = Ports.Free();
        var first = cluster.StartCanal("--port", port.ToString(), "--seed-node", $"akka.tcp://canal@127.0.0.1:{port}", "--management-port", Ports.Free().ToString());
        await first.WaitForLine(l => l.Contains("canal run:"), "the first node to start");
        var second = cluster.StartCanal("--port", Ports.Free().ToString(), "--seed-node", $"akka.tcp://canal@127.0.0.1:{port}", "--management-port", Ports.Free().ToString());
        await second.WaitForExit();
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("several replicas need a journal they share: give --postgres", second.Output);
    }
}
