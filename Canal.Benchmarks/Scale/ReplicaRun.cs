using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Canal.Contracts;
using Canal.Tests.Support;

namespace Canal.Benchmarks.Scale;

/// <summary>
/// failover and rolling: three real canal nodes on one PostgreSQL journal against the emulator (the HA tests'
/// processes), N VirtualServices. A change is made at the moment a node goes; the figure is the time until a
/// write holds it.
/// </summary>
internal sealed class ReplicaRun(ScaleOptions options, TextWriter log)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);

    public Table Failover { get; } = new("failover", "N", "nodes", "kill -9 → next change written s", "kill → new DnsWriter's barrier s");
    public Table Rolling { get; } = new("rolling", "N", "node", "SIGTERM → next change written s", "SIGTERM → exited s", "replacement start → Up s");

    public IEnumerable<Table> Tables => [Failover, Rolling];

    public async Task Run()
    {
        var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        try
        {
            foreach (var n in options.Sizes)
                await RunAt(n, await postgres.CreateDatabase());
        }
        finally
        {
            await postgres.DisposeAsync();
        }
    }

    private async Task RunAt(int n, string journal)
    {
        await using var target = await EmulatorTarget.Create();
        var workload = Workload.Create(n);
        target.Seed(workload, []);
        var set = new Nodes(target, journal);
        try
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < 3; i++)
                await set.Start();
            await set.AllUp(Patience);
            var expected = workload.Hosts();
            await target.Writes.WaitFor(0, hosts => expected.IsSubsetOf(hosts), Patience, $"all {expected.Count} hosts");
            log.WriteLine($"[replicas N={n}] 3 nodes synced in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
            var change = 0;

            if (options.Scenarios.Contains("failover"))
            {
                // The singletons (DnsWriter, source) run on the oldest node: the first started.
                var oldest = set.Live[0];
                var killedAt = DateTime.UtcNow;
                var killed = Stopwatch.GetTimestamp();
                await oldest.Process.Crash();
                var written = await Lands(target, change++, killed);
                Failover.Add(n, 3, Seconds(killed, written), await set.BarrierAfter(killedAt, Patience));
                log.WriteLine($"[replicas N={n}] kill -9 of the DnsWriter's node: next change written after {Seconds(killed, written):F1} s");
                await set.Start();
                await set.AllUp(Patience);
            }

            if (options.Scenarios.Contains("rolling"))
            {
                // As a Deployment rolls: each node in turn, oldest first, gets SIGTERM and is replaced.
                for (var step = 1; step <= 3; step++)
                {
                    var node = set.Live[0];
                    var terminated = Stopwatch.GetTimestamp();
                    var exit = node.Process.Stop().ContinueWith(_ => Stopwatch.GetTimestamp(), TaskScheduler.Default);
                    var written = await Lands(target, change++, terminated);
                    var exited = await exit;
                    var replaced = Stopwatch.GetTimestamp();
                    await set.Start();
                    await set.AllUp(Patience);
                    Rolling.Add(n, step, Seconds(terminated, written), Seconds(terminated, exited), Seconds(replaced, Stopwatch.GetTimestamp()));
                    log.WriteLine($"[replicas N={n}] rolling {step}/3: next change written {Seconds(terminated, written):F1} s after SIGTERM");
                }
            }
        }
        finally
        {
            await set.DisposeAsync();
        }
    }

    /// <summary>Creates a VirtualService with a host of its own at once and returns when a write holds it.</summary>
    private static async Task<long> Lands(EmulatorTarget target, int change, long since)
    {
        var vs = new VirtualServiceSpec(Workload.Namespace(change % Workload.Namespaces), $"replica-change-{change}", [$"replica-change-{change}"]);
        var from = target.Writes.Count;
        target.Create(vs);
        var host = vs.Hosts.Single();
        var (_, at) = await target.Writes.WaitFor(Math.Max(0, from - 1), hosts => hosts.Contains(host), Patience, $"{host} redirected");
        return Math.Max(at, since);
    }

    private static double Seconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalSeconds;

    /// <summary>The live nodes, oldest first.</summary>
    private sealed class Nodes(EmulatorTarget target, string journal) : IAsyncDisposable
    {
        private readonly List<Node> _all = [];

        public IReadOnlyList<Node> Live => [.. _all.Where(n => !n.Process.HasExited)];

        public async Task<Node> Start()
        {
            var port = Ports.Free();
            var management = Ports.Free();
            var address = $"akka.tcp://canal@127.0.0.1:{port}";
            // Seeds are the nodes running now; the first seeds itself.
            var seeds = Live.Select(n => n.Address).DefaultIfEmpty(address);
            var node = new Node(target.StartNode(["--postgres", journal, "--port", $"{port}", "--management-port", $"{management}",
                .. seeds.SelectMany(s => new[] { "--seed-node", s })]), address, $"http://127.0.0.1:{management}");
            _all.Add(node);
            await node.Process.WaitForLine(l => l.Contains("canal run:"), "the node to start", Patience);
            return node;
        }

        /// <summary>Every live node sees exactly the live nodes Up.</summary>
        public async Task AllUp(TimeSpan timeout)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var live = Live;
            await Eventually.True(() => live.All(observer =>
            {
                try
                {
                    var view = http.GetFromJsonAsync<ClusterView>($"{observer.Management}/api/cluster", ManagementJson.Options).Result;
                    return view != null && view.Members.Count == live.Count && live.All(n => view.Members.Any(m => m.Address == n.Address && m.Status == "Up"));
                }
                catch (AggregateException)
                {
                    return false;
                }
            }), "every node to see all live nodes Up", timeout);
        }

        /// <summary>
        /// Seconds from <paramref name="since"/> (UTC) to the first sync barrier a live node logged after it, read from
        /// the time of day canal prints on each line.
        /// </summary>
        public Task<double> BarrierAfter(DateTime since, TimeSpan timeout)
        {
            double? seconds = null;
            return Eventually.True(() =>
            {
                var times = Live.SelectMany(n => n.Process.Lines)
                    .Where(l => l.Contains("sync barrier passed"))
                    .Select(l => TimeSpan.TryParseExact(l.Split(' ')[0], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture, out var t) ? t : (TimeSpan?)null)
                    .OfType<TimeSpan>()
                    .Select(t => (t - since.TimeOfDay).TotalSeconds)
                    .Where(d => d >= 0)
                    .ToList();
                seconds = times.Count > 0 ? times.Min() : null;
                return seconds != null;
            }, "a survivor's DnsWriter to pass its sync barrier", timeout).ContinueWith(_ => seconds!.Value, TaskContinuationOptions.OnlyOnRanToCompletion);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in _all)
                await node.Process.DisposeAsync();
        }
    }

    private sealed record Node(CanalProcess Process, string Address, string Management);
}
