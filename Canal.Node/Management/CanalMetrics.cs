using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Node.Hosting;
using Canal.Propagation;

namespace Canal.Node.Management;

/// <summary>
/// Canal's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>), exported at /metrics by
/// OpenTelemetry's Prometheus exporter. What this process counts is counted where it happens (the static counters);
/// what the actors own is asked once per scrape (<see cref="Refresh"/>) and observed from that sample.
/// </summary>
internal sealed class CanalMetrics
{
    public const string MeterName = "Canal";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> WatchRestarts = Meter.CreateCounter<long>("canal_watch_restarts_total", description: "Kubernetes watches re-opened after a drop, an error or 410 Gone.");
    public static readonly Counter<long> EventsPosted = Meter.CreateCounter<long>("canal_events_posted_total", description: "Kubernetes Events posted or counted again, by reason.");
    public static readonly Counter<long> EventFailures = Meter.CreateCounter<long>("canal_events_failed_total", description: "Kubernetes Events that could not be posted.");
    public static readonly Histogram<double> Propagation = Meter.CreateHistogram("canal_dns_propagation_seconds", "s",
        "From a write of the DNS configuration to every CoreDNS replica answering as it says.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600] });
    public static readonly Counter<long> NotLive = Meter.CreateCounter<long>("canal_dns_not_live_total", description: "Writes not live on every CoreDNS replica by the propagation deadline.");
    public static readonly Counter<long> CoreDnsNudges = Meter.CreateCounter<long>("canal_coredns_nudges_total", description: "CoreDNS pods annotated after a write (--nudge-coredns-pods), by result: patched or failed.");
    public static readonly Counter<long> ApiRefused = Meter.CreateCounter<long>("canal_api_refused_total", description: "Requests the Kubernetes API server refused with 401 or 403, by verb, resource and code.");

    private readonly ActorSystem _system;
    private readonly ActorRegistry _registry;
    private volatile Sample _sample = new([], null, [], []);

    /// <summary>What the actors said at the last scrape; <see cref="Status"/> null when the DnsWriter did not answer.</summary>
    private sealed record Sample(IReadOnlyList<(string Region, int Entities)> Regions, DnsWriterStatus? Status, IReadOnlyList<HostDecision> Decisions,
        IReadOnlyList<CanalGatewayStatus> Gateways);

    /// <remarks>One node runs in a process: its observations are registered on the process's meter once.</remarks>
    public CanalMetrics(ActorSystem system, ActorRegistry registry)
    {
        (_system, _registry) = (system, registry);
        Meter.CreateObservableGauge("process_working_set_bytes", () => Environment.WorkingSet, description: "Resident memory of this process.");
        Meter.CreateObservableGauge("process_peak_working_set_bytes", PeakWorkingSet, description: "The most resident memory this process has had.");
        Meter.CreateObservableGauge("dotnet_gc_heap_bytes", () => GC.GetGCMemoryInfo().HeapSizeBytes, description: "The managed heap after the last garbage collection.");
        Meter.CreateObservableGauge("canal_entities", () => _sample.Regions.Select(r => new Measurement<int>(r.Entities, Tag("region", r.Region))),
            description: "Entities of each shard region running on this node.");
        var cluster = Cluster.Get(system);
        Meter.CreateObservableGauge("canal_cluster_members", () => cluster.State.Members.GroupBy(m => m.Status).Select(g => new Measurement<int>(g.Count(), Tag("status", g.Key.ToString()))),
            description: "Cluster members by status, as this node sees them.");
        Meter.CreateObservableGauge("canal_cluster_unreachable", () => cluster.State.Unreachable.Count, description: "Members this node cannot reach.");

        Meter.CreateObservableGauge("canal_dns_writer_up", () => _sample.Status == null ? 0 : 1, description: "0 when the DnsWriter singleton does not answer.");
        Writer("canal_sync_barrier_passed", "1 once the DnsWriter's sync barrier has passed.", s => s.Phase == SyncPhase.Ready ? 1 : 0);
        Meter.CreateObservableGauge("canal_hosts", () => _sample.Status == null ? [] : HostsByStatusAndCoverage(_sample.Decisions),
            description: "Hosts by status and coverage (full, partial, shared, none; unknown where not worked out) at the last check of the store.");
        WriterTotal("canal_dns_writes_total", "Writes of the DNS configuration.", s => s.Writes);
        WriterTotal("canal_dns_conflicts_total", "Writes refused because someone else changed the configuration first.", s => s.Conflicts);
        WriterTotal("canal_dns_oversized_total", "Renders not written because the Corefile would exceed the ConfigMap size limit.", s => s.Oversized);
        WriterTotal("canal_dns_write_latency_seconds_sum", "From the first change a write carried to the store's answer, summed over writes.", s => s.WriteLatencySecondsSum);
        Writer("canal_dns_write_latency_seconds_last", "The last write's latency.", s => s.LastWriteLatencySeconds);
        Writer("canal_dns_paused", "1 while writing is paused after a restore.", s => s.Paused ? 1 : 0);
        WriterTotal("canal_dns_write_failures_total", "Reads or writes of the DNS configuration that failed, each followed by a backoff.", s => s.Failures);
        OfStore("canal_dns_write_failing", "1 while the last attempt to bring the DNS configuration up to date failed or was refused (canal-cmd canal dns show says why).",
            s => s.LastError == null ? 0 : 1);
        OfStore("canal_dns_writes_not_live", "Recent writes not live on every CoreDNS replica by their deadline and not live since.",
            s => s.Propagation?.Count(p => p.State == PropagationState.NotLive) ?? 0);
        OfStore("canal_corefile_bytes", "The size of the Corefile as last applied, in UTF-8 bytes.", s => s.CorefileBytes);
        OfStore("canal_corefile_capacity_bytes", "What the store allows the Corefile to take (a ConfigMap's 1 MiB less its other keys); absent where there is no limit.",
            s => s.CorefileCapacity);
        Meter.CreateObservableGauge("canal_gateway_withdrawn", () => _sample.Gateways.Select(g => new Measurement<int>(g.Withdrawn ? 1 : 0, Tag("gateway", g.Gateway.ToString()))),
            description: "1 while a canal gateway's redirects are withdrawn: its Service has had no ready endpoints for longer than the readiness grace.");
        Meter.CreateObservableGauge("canal_gateway_ready_endpoints", () => _sample.Gateways.Where(g => g.ReadyEndpoints != null)
                .Select(g => new Measurement<int>(g.ReadyEndpoints!.Value, Tag("gateway", g.Gateway.ToString()))),
            description: "Ready endpoints of each canal gateway's Service.");
    }

    /// <summary>Asks the actors for what the next collection reports.</summary>
    public async Task Refresh()
    {
        // A counter is exported once something was recorded: zero, so that a first restart or failure shows as an increase.
        WatchRestarts.Add(0);
        EventFailures.Add(0);
        NotLive.Add(0);
        // All asked at once, each answer on its own: a scrape waits one timeout at most, and one that times out leaves
        // out only what it would have said.
        var sharding = ClusterSharding.Get(_system);
        var types = sharding.ShardTypeNames.Order().ToList();
        var stats = Task.WhenAll(types.Select(t => Asked<ShardRegionStats>(sharding.ShardRegion(t), GetShardRegionStats.Instance)));
        var writer = _registry.Get<DnsWriterSingleton>();
        var status = Asked<DnsWriterStatus>(writer, GetDnsWriterStatus.Instance);
        var decisions = Asked<HostDecisions>(writer, GetHostDecisions.Instance);
        var gateways = Asked<CanalGatewayList>(writer, GetCanalGateways.Instance);
        await Task.WhenAll(stats, status, decisions, gateways);
        var regions = types.Zip(stats.Result, (type, s) => (Type: type, Stats: s)).Where(r => r.Stats != null).Select(r => (r.Type, r.Stats!.Stats.Values.Sum())).ToList();
        _sample = status.Result == null
            ? new Sample(regions, null, [], [])
            : new Sample(regions, status.Result, decisions.Result?.Decisions ?? [], gateways.Result?.Gateways ?? []);
    }

    private static async Task<T?> Asked<T>(IActorRef actor, object question) where T : class
    {
        try
        {
            return await actor.Ask<T>(question, AskTimeout);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    public static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    /// <summary>A series for every status (0 when it has no host) and every coverage some host of that status has.</summary>
    private static IEnumerable<Measurement<int>> HostsByStatusAndCoverage(IReadOnlyList<HostDecision> decisions)
    {
        var counts = decisions.GroupBy(d => (d.Status, Coverage: d.Coverage?.Kind.ToString().ToLowerInvariant() ?? "unknown")).ToDictionary(g => g.Key, g => g.Count());
        foreach (var status in Enum.GetValues<HostStatus>().Where(s => counts.Keys.All(k => k.Status != s)))
            counts[(status, "unknown")] = 0;
        return counts.Select(c => new Measurement<int>(c.Value, Tag("status", c.Key.Status.ToString().ToLowerInvariant()), Tag("coverage", c.Key.Coverage)));
    }

    private void Writer<T>(string name, string description, Func<DnsWriterStatus, T> value) where T : struct =>
        Meter.CreateObservableGauge(name, () => _sample.Status is { } s ? [new Measurement<T>(value(s))] : Array.Empty<Measurement<T>>(), description: description);

    /// <summary>A gauge of the DnsWriter's, labelled with its store so that an alert names the ConfigMap or file; absent where <paramref name="value"/> is null.</summary>
    private void OfStore(string name, string description, Func<DnsWriterStatus, long?> value) =>
        Meter.CreateObservableGauge(name, () => _sample.Status is { } s && value(s) is { } v ? [new Measurement<long>(v, Tag("store", s.Store))] : Array.Empty<Measurement<long>>(),
            description: description);

    private void WriterTotal<T>(string name, string description, Func<DnsWriterStatus, T> value) where T : struct =>
        Meter.CreateObservableCounter(name, () => _sample.Status is { } s ? [new Measurement<T>(value(s))] : Array.Empty<Measurement<T>>(), description: description);

    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
