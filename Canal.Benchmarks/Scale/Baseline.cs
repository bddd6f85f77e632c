using System.Diagnostics;
using Canal.Tests.KubeApi;
using k8s;
using k8s.Models;

namespace Canal.Benchmarks.Scale;

/// <summary>
/// The original controller's strategy, as a small client: for every VirtualService event, list the ConfigMaps,
/// scan the whole Corefile for each destination host's line, insert the missing ones and update the ConfigMap.
/// The events are handed to it directly (no watch), which only flatters it.
/// </summary>
internal static class Baseline
{
    private const string Gateway = "canal.istio-system.svc.cluster.local";

    public sealed record Result(TimeSpan Elapsed, int Writes);

    /// <summary>Against a fresh emulator holding CoreDNS's ConfigMap, over HTTP with KubernetesClient.</summary>
    public static async Task<Result> AgainstEmulator(Workload workload)
    {
        await using var api = await KubeApiServer.StartAsync(new KubeApiOptions { RevisionsKept = 2 });
        api.Apply(Workload.CoreDnsJson());
        var kubeconfig = Path.GetTempFileName();
        try
        {
            api.WriteKubeconfig(kubeconfig);
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var writes = 0;
            var started = Stopwatch.GetTimestamp();
            foreach (var vs in workload.VirtualServices)
            {
                var list = await client.CoreV1.ListNamespacedConfigMapAsync("kube-system");
                var configMap = list.Items.First(c => c.Metadata.Name == "coredns");
                var corefile = configMap.Data["Corefile"];
                var updated = Insert(corefile, vs.Hosts);
                if (updated == corefile)
                    continue;
                configMap.Data["Corefile"] = updated;
                await client.CoreV1.ReplaceNamespacedConfigMapAsync(configMap, "coredns", "kube-system");
                writes++;
            }
            return new Result(Stopwatch.GetElapsedTime(started), writes);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    /// <summary>The same strategy on a string: the cost of the strategy itself, without HTTP.</summary>
    public static Result InMemory(Workload workload)
    {
        var corefile = Workload.Corefile;
        var writes = 0;
        var started = Stopwatch.GetTimestamp();
        foreach (var vs in workload.VirtualServices)
        {
            var updated = Insert(corefile, vs.Hosts);
            if (updated == corefile)
                continue;
            corefile = updated;
            writes++;
        }
        return new Result(Stopwatch.GetElapsedTime(started), writes);
    }

    /// <summary>Scans the whole Corefile for each host's rewrite line; a missing one goes right after the first line.</summary>
    private static string Insert(string corefile, IEnumerable<string> hosts)
    {
        foreach (var host in hosts)
        {
            var line = $"    rewrite name {host} {Gateway}\n";
            if (corefile.Contains(line, StringComparison.Ordinal))
                continue;
            var firstLine = corefile.IndexOf('\n') + 1;
            corefile = corefile[..firstLine] + line + corefile[firstLine..];
        }
        return corefile;
    }
}
