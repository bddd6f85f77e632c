using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Node.Hosting;
using Canal.Node.Kubernetes;

namespace Canal.Node.Management;

/// <summary>
/// The Prometheus text exposition of what Canal does: entities per region on this node, hosts by status,
/// DNS writes, conflicts and write latency, the sync barrier, watch restarts, cluster members.
/// </summary>
internal static class Metrics
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static async Task<string> Render(ActorSystem system, ActorRegistry registry)
    {
        var sb = new StringBuilder();
        void Metric(string name, string type, string help, IEnumerable<(string Labels, double Value)> samples)
        {
            sb.Append($"# HELP {name} {help}\n# TYPE {name} {type}\n");
            foreach (var (labels, value) in samples)
                sb.Append(name).Append(labels.Length > 0 ? $"{{{labels}}}" : "").Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        using (var process = System.Diagnostics.Process.GetCurrentProcess())
        {
            Metric("process_working_set_bytes", "gauge", "Resident memory of this process.", [("", process.WorkingSet64)]);
            Metric("process_peak_working_set_bytes", "gauge", "The most resident memory this process has had.", [("", process.PeakWorkingSet64)]);
        }
        Metric("dotnet_gc_heap_bytes", "gauge", "The managed heap after the last garbage collection.", [("", GC.GetGCMemoryInfo().HeapSizeBytes)]);

        var sharding = ClusterSharding.Get(system);
        var regions = new List<(string, double)>();
        foreach (var type in sharding.ShardTypeNames.Order())
        {
            var stats = await sharding.ShardRegion(type).Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout);
            regions.Add(($"region=\"{type}\"", stats.Stats.Values.Sum()));
        }
        Metric("canal_entities", "gauge", "Entities of each shard region running on this node.", regions);

        var cluster = Cluster.Get(system);
        Metric("canal_cluster_members", "gauge", "Cluster members by status, as this node sees them.",
            cluster.State.Members.GroupBy(m => m.Status).Select(g => ($"status=\"{g.Key}\"", (double)g.Count())));
        Metric("canal_cluster_unreachable", "gauge", "Members this node cannot reach.", [("", cluster.State.Unreachable.Count)]);
        Metric("canal_watch_restarts_total", "counter", "Kubernetes watches re-opened after a drop, an error or 410 Gone.", [("", Counters.WatchRestarts.Total)]);

        try
        {
            var dnsWriter = registry.Get<DnsWriterSingleton>();
            var status = await dnsWriter.Ask<DnsWriterStatus>(GetDnsWriterStatus.Instance, AskTimeout);
            var decisions = (await dnsWriter.Ask<HostDecisions>(GetHostDecisions.Instance, AskTimeout)).Decisions;
            Metric("canal_sync_barrier_passed", "gauge", "1 once the DnsWriter's sync barrier has passed.", [("", status.Phase == SyncPhase.Ready ? 1 : 0)]);
            Metric("canal_hosts", "gauge", "Hosts by status at the last check of the store.",
                Enum.GetValues<HostStatus>().Select(s => ($"status=\"{s.ToString().ToLowerInvariant()}\"", (double)decisions.Count(d => d.Status == s))));
            Metric("canal_dns_writes_total", "counter", "Writes of the DNS configuration.", [("", status.Writes)]);
            Metric("canal_api_refused_total", "counter", "Requests the Kubernetes API server refused with 401 or 403, by verb, resource and code.",
                ApiRefusals.Totals.OrderBy(t => t.Key).Select(t => ($"verb=\"{t.Key.Verb}\",resource=\"{t.Key.Resource}\",code=\"{t.Key.Code}\"", (double)t.Value)));
            Metric("canal_events_failed_total", "counter", "Kubernetes Events that could not be posted.", [("", Counters.EventFailures.Total)]);
            Metric("canal_dns_conflicts_total", "counter", "Writes refused because someone else changed the configuration first.", [("", status.Conflicts)]);
            Metric("canal_dns_oversized_total", "counter", "Renders not written because the Corefile would exceed the ConfigMap size limit.", [("", status.Oversized)]);
            Metric("canal_dns_write_latency_seconds_sum", "counter", "From the first change a write carried to the store's answer, summed over writes.", [("", status.WriteLatencySecondsSum)]);
            Metric("canal_dns_write_latency_seconds_last", "gauge", "The last write's latency.", [("", status.LastWriteLatencySeconds)]);
            Metric("canal_dns_paused", "gauge", "1 while writing is paused after a restore.", [("", status.Paused ? 1 : 0)]);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            Metric("canal_dns_writer_up", "gauge", "0 when the DnsWriter singleton does not answer.", [("", 0)]);
        }
        return sb.ToString();
    }
}
