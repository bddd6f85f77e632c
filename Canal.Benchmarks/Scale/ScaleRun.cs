using System.Diagnostics;

namespace Canal.Benchmarks.Scale;

/// <summary>What to run: the scenarios, the sizes, the targets, and how long each part may take.</summary>
internal sealed record ScaleOptions
{
    public IReadOnlySet<string> Scenarios { get; init; } = new HashSet<string>();
    public IReadOnlyList<int> Sizes { get; init; } = [];
    public IReadOnlyList<string> Targets { get; init; } = ["emulator", "memory"];
    public int Samples { get; init; } = 200;
    public IReadOnlyList<int> ChurnRates { get; init; } = [50, 100, 200, 500, 1000, 2000, 5000];
    public TimeSpan ChurnWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The emulator's CoreDNS replicas read the ConfigMap as kubelet's model copies it, on this period (null: as it is
    /// at each question); <see cref="Nudge"/> runs canal with <c>--nudge-coredns-pods</c>.
    /// </summary>
    public TimeSpan? KubeletPeriod { get; init; }
    public bool Nudge { get; init; }

    /// <summary>The baseline runs up to this N (it writes once per VirtualService, on a growing Corefile).</summary>
    public int BaselineUpTo { get; init; } = 10_000;
}

/// <summary>
/// Runs the scenarios for each size and target on one Canal: seed, cold start (initial-sync), one change at a
/// time (steady-change), rising rates of changes (churn), then a restart on the persisted data (restart).
/// </summary>
internal sealed class ScaleRun(ScaleOptions options, TextWriter log)
{
    private const int SteadyNamespaces = 10;

    /// <summary>A churn VirtualService is deleted only this long after its creation, so a create that lags less has landed first.</summary>
    private static readonly TimeSpan DeleteAfter = TimeSpan.FromSeconds(2);

    public Table InitialSync { get; } = new("initial-sync",
        "target", "N", "hosts", "listing s", "barrier s", "synced s", "writes", "Corefile KiB", "peak WS MB", "heap MB", "baseline s", "baseline writes", "time ×", "writes ×");
    public Table SteadyChange { get; } = new("steady-change", "target", "N", "samples", "p50 ms", "p99 ms", "max ms", "writes", "live p50 ms", "live p99 ms", "CPU ms/change");
    public Table Churn { get; } = new("churn", "target", "N", "rate/s", "achieved/s", "changes", "p50 lag ms", "p99 lag ms", "max lag ms", "writes", "bounded");
    public Table Restart { get; } = new("restart", "target", "N", "listing alone s", "listing s", "start→barrier s", "× listing alone", "start→first check s", "writes");
    public Table Events { get; } = new("events", "target", "N", "first start: Events", "posted in s", "restart, nothing changed: Events", "one change: Events");

    public IEnumerable<Table> Tables => [InitialSync, SteadyChange, Churn, Restart, Events];

    public async Task Run()
    {
        foreach (var n in options.Sizes)
        {
            foreach (var name in options.Targets)
            {
                await using (ICanalTarget target = name == "memory" ? new MemoryTarget() : await EmulatorTarget.Create(options.KubeletPeriod, options.Nudge))
                    await RunOn(target, n);
                // Events are Kubernetes objects: only the emulator has them, counted on a Canal of their own.
                if (name == "emulator" && options.Scenarios.Contains("events"))
                {
                    await using var target = await EmulatorTarget.Create();
                    await PostedEvents(target, n);
                }
            }
        }
    }

    /// <summary>Events posted by a first start (one per host and VirtualService), by a restart with nothing changed, and by one change.</summary>
    private async Task PostedEvents(EmulatorTarget target, int n)
    {
        var workload = Workload.Create(n);
        var change = new VirtualServiceSpec(Workload.Namespace(0), "events-change", ["events-change"]);
        target.Seed(workload, [(change.Namespace, change.Services[0])]);
        var expected = workload.VirtualServices.Sum(v => v.Hosts.Count());
        var started = await target.Start();
        // The overall rate limit paces a first start: give it that long and then some.
        var postedAt = await target.EventsPosted(expected, TimeSpan.FromSeconds(120 + expected / 10.0));
        var first = target.EventRequests();
        await target.Stop();

        await target.Start();
        await target.SyncBarrierPassed(TimeSpan.FromSeconds(120 + n / 500));
        await target.FirstCheck(TimeSpan.FromSeconds(120));
        target.Create(change);
        // Once the change's Event is there, the restart's own plan has been through the poster too.
        await target.EventsPosted(first + 1, TimeSpan.FromSeconds(120));
        var afterChange = target.EventRequests();
        Events.Add(target.Name, n, first, Seconds(started, postedAt), afterChange - first - 1, 1);
        log.WriteLine($"[{target.Name} N={n}] events: {first} at the first start, {afterChange - first - 1} more after a restart, then 1 for one change");
        await target.Stop();
    }

    private async Task RunOn(ICanalTarget target, int n)
    {
        var workload = Workload.Create(n);
        var steady = Enumerable.Range(0, (options.Samples + 1) / 2).Select(i => new VirtualServiceSpec(Workload.Namespace(i % SteadyNamespaces), $"steady-{i:D4}", [$"steady-{i:D4}"])).ToList();
        log.WriteLine($"[{target.Name} N={n}] seeding {n} VirtualServices, {workload.Services().Count()} Services");
        target.Seed(workload, steady.Select(s => (s.Namespace, s.Services[0])));
        GC.Collect();

        var started = await target.Start();
        var timeout = TimeSpan.FromSeconds(120 + n / 500);
        var barrier = await target.SyncBarrierPassed(timeout);
        var expected = workload.Hosts();
        var (synced, syncedAt) = await target.Writes.WaitFor(0, hosts => expected.IsSubsetOf(hosts), timeout, $"all {expected.Count} hosts");
        var (peak, heap) = await target.Memory();
        log.WriteLine($"[{target.Name} N={n}] synced in {Seconds(started, syncedAt):F2} s with {synced + 1} writes");
        if (options.Scenarios.Contains("initial-sync"))
        {
            var baseline = n > options.BaselineUpTo ? null
                : target.Name == "memory" ? Baseline.InMemory(workload) : await Baseline.AgainstEmulator(workload);
            var canalSeconds = Seconds(started, syncedAt);
            InitialSync.Add(target.Name, n, expected.Count, target.LastSync.Listing.TotalSeconds, Seconds(started, barrier), canalSeconds, synced + 1, target.Writes.LastBytes() / 1024,
                peak / (1024 * 1024), heap / (1024 * 1024),
                baseline == null ? "—" : baseline.Elapsed.TotalSeconds, baseline == null ? "—" : baseline.Writes,
                baseline == null ? "—" : baseline.Elapsed.TotalSeconds / canalSeconds, baseline == null ? "—" : (double)baseline.Writes / (synced + 1));
        }
        target.Writes.Trim(synced);

        if (options.Scenarios.Contains("steady-change"))
            await Steady(target, n, steady);
        if (options.Scenarios.Contains("churn"))
            await ChurnRates(target, n);
        if (options.Scenarios.Contains("restart"))
            await Restarted(target, n, expected);
        await target.Stop();
    }

    private async Task Steady(ICanalTarget target, int n, IReadOnlyList<VirtualServiceSpec> specs)
    {
        var (latencies, live) = (new List<double>(), new List<double>());
        var firstWrite = target.Writes.Count;
        var cpu = target.CpuTime();
        var spacing = new Random(42);
        for (var i = 0; i < options.Samples; i++)
        {
            // Right after the last change went live is right after a kubelet sync (or a nudge): a change then would
            // always wait a whole period (or the nudge's pacing). Changes land anywhere in the period in a cluster.
            if (options.KubeletPeriod is { } period)
                await Task.Delay(period * spacing.NextDouble());
            var vs = specs[i / 2];
            var host = vs.Hosts.Single();
            var from = target.Writes.Count;
            var create = i % 2 == 0;
            var at = create ? target.Create(vs) : target.Delete(vs);
            var (index, writtenAt) = await target.Writes.WaitFor(from, hosts => hosts.Contains(host) == create, TimeSpan.FromSeconds(30), $"{host} {(create ? "redirected" : "withdrawn")}");
            latencies.Add(Stopwatch.GetElapsedTime(at, writtenAt).TotalMilliseconds);
            target.Writes.Trim(index);
            if (await target.Live(host, create, TimeSpan.FromSeconds(30) + 2 * (options.KubeletPeriod ?? TimeSpan.Zero)) is { } liveAt)
                live.Add(Stopwatch.GetElapsedTime(at, liveAt).TotalMilliseconds);
        }
        var cpuPerChange = (target.CpuTime() - cpu).TotalMilliseconds / options.Samples;
        latencies.Sort();
        live.Sort();
        const string liveNote = "live: from the change being accepted to canal's log saying the write that holds it is live on both CoreDNS replicas; the emulator's replicas serve the ConfigMap as it is at each question (an instant reload), so this is Canal's own part of the propagation, not kubelet's or CoreDNS's. With a kubelet period (target `emulator, kubelet …`), each replica reads the ConfigMap as kubelet's model last copied it: on the period, or at once when canal annotates its pod (`nudge`); CoreDNS's reload is still instant. Each change then waits a random 0 to one period after the last went live, so it lands anywhere in kubelet's period.";
        if (live.Count > 0 && !SteadyChange.Notes.Contains(liveNote))
            SteadyChange.Notes.Add(liveNote);
        const string cpuNote = "CPU ms/change: the processor time canal's process used over the steady window, divided by the changes (memory target: the harness's whole process, workload included).";
        if (!SteadyChange.Notes.Contains(cpuNote))
            SteadyChange.Notes.Add(cpuNote);
        SteadyChange.Add(target.Name, n, latencies.Count, Percentile(latencies, 0.5), Percentile(latencies, 0.99), latencies[^1], target.Writes.Count - firstWrite,
            live.Count > 0 ? Percentile(live, 0.5) : "-", live.Count > 0 ? Percentile(live, 0.99) : "-", cpuPerChange);
        log.WriteLine($"[{target.Name} N={n}] steady-change p50 {Percentile(latencies, 0.5):F0} ms, p99 {Percentile(latencies, 0.99):F0} ms, CPU {cpuPerChange:F0} ms per change");
    }

    /// <summary>
    /// Raises the rate until lag grows. Each change creates a VirtualService with a host of its own or deletes
    /// one created at least two seconds before; every change is then looked for in the writes.
    /// </summary>
    private async Task ChurnRates(ICanalTarget target, int n)
    {
        var next = 0;
        foreach (var rate in options.ChurnRates)
        {
            var total = (int)(rate * options.ChurnWindow.TotalSeconds);
            var changes = new List<(long At, int From, string Host, bool Present)>(total);
            var live = new Queue<(VirtualServiceSpec Spec, long CreatedAt)>();
            var firstWrite = target.Writes.Count;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * Stopwatch.Frequency / (double)rate);
                while (Stopwatch.GetTimestamp() < due)
                    await Task.Delay(1);
                var from = target.Writes.Count;
                if (i % 2 == 1 && live.TryPeek(out var oldest) && Stopwatch.GetElapsedTime(oldest.CreatedAt) >= DeleteAfter)
                {
                    var vs = live.Dequeue().Spec;
                    changes.Add((target.Delete(vs), from, vs.Hosts.Single(), false));
                }
                else
                {
                    var vs = new VirtualServiceSpec(Workload.Namespace(next % Workload.Namespaces), $"churn-{next:D6}", [$"churn-{next:D6}"]);
                    next++;
                    var at = target.Create(vs);
                    live.Enqueue((vs, at));
                    changes.Add((at, from, vs.Hosts.Single(), true));
                }
            }
            var achieved = total / Stopwatch.GetElapsedTime(start).TotalSeconds;
            var final = live.Select(v => v.Spec.Hosts.Single()).ToHashSet();
            var removed = changes.Where(c => !c.Present).Select(c => c.Host).ToHashSet();
            var landed = true;
            try
            {
                await target.Writes.WaitFor(firstWrite, hosts => final.IsSubsetOf(hosts) && !removed.Overlaps(hosts), TimeSpan.FromSeconds(60), "the churn's final state");
            }
            catch (TimeoutException)
            {
                landed = false;
            }
            var lags = Lags(target.Writes, changes, firstWrite);
            var writes = target.Writes.Count - firstWrite;
            target.Writes.Trim(target.Writes.Count - 1);
            // Bounded: every change landed, and the last fifth of the window waited no longer than the first fifth (with slack).
            var fifth = Math.Max(1, lags.Count / 5);
            var early = Percentile([.. lags.Take(fifth).Order()], 0.99);
            var late = Percentile([.. lags.TakeLast(fifth).Order()], 0.99);
            var sorted = lags.Order().ToList();
            var bounded = landed && !double.IsInfinity(sorted[^1]) && late <= early * 1.5 + 500;
            Churn.Add(target.Name, n, rate, achieved, total, Percentile(sorted, 0.5), Percentile(sorted, 0.99), sorted[^1], writes, bounded ? "yes" : "no");
            log.WriteLine($"[{target.Name} N={n}] churn {rate}/s (achieved {achieved:F0}/s): p99 lag {Percentile(sorted, 0.99):F0} ms, {(bounded ? "bounded" : "growing")}");

            // Every churn VirtualService goes before the next rate, so each rate starts from the same N.
            foreach (var (vs, _) in live)
                target.Delete(vs);
            var gone = live.Select(v => v.Spec.Hosts.Single()).ToHashSet();
            var settle = target.Writes.Count;
            await target.Writes.WaitFor(Math.Max(0, settle - 1), hosts => !gone.Overlaps(hosts), TimeSpan.FromSeconds(60), "the churn's VirtualServices gone");
            target.Writes.Trim(target.Writes.Count - 1);
            if (!bounded)
                break;
        }
    }

    /// <summary>For each change, the time to the first write at or after it that reflects it (infinity if none did).</summary>
    private static List<double> Lags(CorefileWrites writes, List<(long At, int From, string Host, bool Present)> changes, int firstWrite)
    {
        var times = writes.Times(0);
        var lags = new List<double>(changes.Count);
        foreach (var change in changes)
        {
            var lag = double.PositiveInfinity;
            for (var w = Math.Max(change.From, firstWrite); w < times.Count; w++)
            {
                if (writes.HostsOf(w).Contains(change.Host) == change.Present)
                {
                    lag = Stopwatch.GetElapsedTime(change.At, times[w]).TotalMilliseconds;
                    break;
                }
            }
            lags.Add(lag);
        }
        return lags;
    }

    private async Task Restarted(ICanalTarget target, int n, IReadOnlySet<string> expected)
    {
        // A churn that outran Canal may still be landing: restart only once the Corefile is the workload again, so
        // "nothing changed" holds and any write the restart makes is Canal's own.
        await target.Writes.WaitFor(Math.Max(0, target.Writes.Count - 1), hosts => hosts.SetEquals(expected), TimeSpan.FromSeconds(120), "the Corefile to hold the workload alone");
        await target.Stop();
        var before = target.Writes.Count;
        var started = await target.Start();
        var barrier = await target.SyncBarrierPassed(TimeSpan.FromSeconds(120 + n / 500));
        var checkedAt = await target.FirstCheck(TimeSpan.FromSeconds(120));
        var alone = await target.ListingAlone();
        Restart.Add(target.Name, n, alone?.TotalSeconds ?? (object)"—", target.LastSync.Listing.TotalSeconds, Seconds(started, barrier),
            alone == null ? "—" : Seconds(started, barrier) / alone.Value.TotalSeconds, Seconds(started, checkedAt), target.Writes.Count - before);
        log.WriteLine($"[{target.Name} N={n}] restart: barrier after {Seconds(started, barrier):F2} s");
    }

    private static double Seconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalSeconds;

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
