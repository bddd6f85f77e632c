using System.Text.Json.Nodes;
using Canal.Tests.Deploy;
using Canal.Tests.KubeApi;
using Canal.Tests.KubernetesMode;
using Canal.Tests.Support;

namespace Canal.Tests.Propagation;

/// <summary>
/// The real <c>canal run</c> confirming its writes: in local mode against a DNS server that serves the Corefile Canal
/// writes, in Kubernetes mode against the replicas the kube-dns Service's EndpointSlice names.
/// </summary>
public sealed class PropagationEndToEndTests : IDisposable
{
    private const string Hello = "helloworld.default.svc.cluster.local";

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-propagation-");

    public void Dispose() => _temp.Delete(recursive: true);

    private static async Task<string> Cmd(string endpoint, params string[] args)
    {
        var cmd = CanalProcess.Cmd(null, [endpoint, .. args]);
        await cmd.WaitForExit();
        Assert.True(cmd.ExitCode == 0, cmd.Output);
        return cmd.Output;
    }

    [Fact]
    public async Task In_local_mode_a_write_served_by_a_DNS_server_is_seen_live_and_canal_cmd_shows_how_long_it_took()
    {
        var manifests = Samples.CopyTo(Samples.Helloworld, Path.Combine(_temp.FullName, "manifests"));
        var corefile = Path.Combine(_temp.FullName, "Corefile");
        using var coredns = DnsResponder.Serving(() => File.Exists(corefile) ? File.ReadAllText(corefile) : "", DnsResponder.SampleServices);
        var port = Ports.Free();
        await using var canal = CanalProcess.Start(_temp.FullName, "run", "--manifests", manifests, "--corefile", corefile, "--data", Path.Combine(_temp.FullName, "data"),
            "--dns-probe", coredns.Endpoint, "--management-port", port.ToString());

        await canal.WaitForLine(l => l.Contains("write #1 is live on 1/1 replicas after"), "write #1 to be seen live");
        var endpoint = $"127.0.0.1:{port}";
        var dns = await Cmd(endpoint, "canal", "dns", "show");
        Assert.Contains($"propagation (CoreDNS at {coredns.Endpoint}):", dns);
        Assert.Matches(@"write #1: live on 1/1 replicas after \d+\.\d s", dns);
        Assert.Contains("reload: every 30 s ± 15 s (reload's default): a replica can take 45 s after kubelet updates its file to serve a write; 'reload 5s' in the Corefile shortens that to 7.5 s", dns);
        Assert.Matches($@"redirected\s+{Hello}\s+istio-system/canal\s+partial\s+live\s", await Cmd(endpoint, "canal", "hosts"));
        using (var http = new HttpClient())
        {
            var metrics = await http.GetStringAsync($"http://{endpoint}/metrics");
            Assert.Equal(1, PrometheusText.Value(metrics, "canal_dns_propagation_seconds_count"));
            Assert.Equal(1, PrometheusText.Value(metrics, "canal_dns_propagation_seconds_bucket", ("le", "600")));
        }

        // Withdrawn: live once the server no longer answers the gateway for it.
        File.Delete(Path.Combine(manifests, "helloworld.yaml"));
        await canal.WaitForLine(l => l.Contains("write #2 is live on 1/1 replicas after"), "write #2 (helloworld withdrawn) to be seen live");
    }

    [Fact]
    public async Task In_a_cluster_each_kube_dns_endpoint_is_asked_and_a_replica_that_never_reloads_gets_a_warning_Event_on_the_ConfigMap()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        using var live = DnsResponder.Serving(cluster.Corefile, DnsResponder.SampleServices);
        using var stale = DnsResponder.Start("127.0.0.2").Answers(Hello, DnsResponder.SampleServices[Hello]).Answers("canal.istio-system.svc.cluster.local", DnsResponder.SampleServices["canal.istio-system.svc.cluster.local"]);
        cluster.Api.Apply(live.KubeDnsSlice("kube-dns-abcde", "coredns-live"));
        cluster.Api.Apply(stale.KubeDnsSlice("kube-dns-fghij", "coredns-stale"));
        var canal = cluster.StartCanal("--propagation-deadline-s", "5");

        await canal.WaitForLine(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"write #1 is not live within its 5 s deadline \(\d+\.\d s after the write\) on coredns-stale \(1/2 live\): it still answers as before"),
            "write #1 to be not live on the stale replica");
        await Eventually.True(() => cluster.Api.List("", "v1", "events", "kube-system").Any(e =>
                (string?)e["reason"] == "NotLive" && (string?)e["type"] == "Warning"
                && (string?)e["involvedObject"]?["kind"] == "ConfigMap" && (string?)e["involvedObject"]?["name"] == "coredns"
                && ((string?)e["message"])?.Contains("coredns-stale (1/2 replicas)") == true),
            () => $"a NotLive Event on kube-system/coredns; canal said:\n{canal.Output}");
        Assert.Contains(cluster.Api.RequestLog, r => r.Verb == "list" && r.Resource == "endpointslices" && r.Namespace == "kube-system");
        Assert.True(live.Questions > 0 && stale.Questions > 0, "both replicas were asked");
    }

    /// <summary>A cluster whose one CoreDNS replica (pod coredns-a) reads the Corefile as kubelet last copied it into its pod.</summary>
    private sealed class KubeletCluster : IAsyncDisposable
    {
        private KubeletCluster(KubeCluster cluster)
        {
            Cluster = cluster;
            // kubelet's period is the test's to play (Sync): only an annotation refreshes the pod otherwise.
            Kubelet = new KubeletModel(cluster.Api, Timeout.InfiniteTimeSpan);
            CoreDns = DnsResponder.Serving(Kubelet.Mount("coredns-a"), DnsResponder.SampleServices);
            cluster.Api.Apply(CoreDns.KubeDnsSlice("kube-dns-abcde", "coredns-a"));
        }

        public KubeCluster Cluster { get; }
        public KubeletModel Kubelet { get; }
        public DnsResponder CoreDns { get; }

        public static async Task<KubeletCluster> Start()
        {
            var cluster = await KubeCluster.Start();
            cluster.ApplySample();
            return new KubeletCluster(cluster);
        }

        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            Kubelet.Dispose();
            CoreDns.Dispose();
        }
    }

    [Fact]
    public async Task With_the_nudge_a_write_turns_live_in_the_round_after_kubelet_refreshes_the_annotated_pod_and_only_get_and_patch_on_pods_are_used()
    {
        await using var set = await KubeletCluster.Start();
        var (cluster, kubelet, coredns) = (set.Cluster, set.Kubelet, set.CoreDns);
        var canal = cluster.StartCanal("--nudge-coredns-pods");

        await canal.WaitForLine(l => l.Contains("write #1 is live on 1/1 replicas after"), "write #1 to be seen live");

        // Live in the round that first found the replica serving it: the marker was answered once, and that was enough.
        Assert.Equal(1, coredns.AnsweredAbout(Canal.Dns.WriteMarker.In(cluster.Corefile())!));
        var refresh = Assert.Single(kubelet.Refreshes);
        Assert.True(refresh.Annotated, "the pod's copy was refreshed by the annotation, not by kubelet's period");
        Assert.Equal(Canal.Dns.WriteMarker.Label(Canal.Dns.WriteMarker.In(cluster.Corefile())!),
            (string?)cluster.Api.Get("", "v1", "pods", "kube-system", "coredns-a")?["metadata"]?["annotations"]?["canal.io/corefile-write"]);
        var component = Rbac.GrantedTo(Yaml.Documents(File.ReadAllText(Path.Combine(Kustomize.K8s, "components", "nudge-coredns-pods", "rbac.yaml"))), "istio-system", "canal-control");
        var used = cluster.Api.RequestLog.Where(r => r.Resource == "pods").Select(r => new Grant(r.Namespace ?? "", "", "pods", r.Verb, "*")).ToHashSet();
        Assert.Equal(component.Select(g => g.ToString()).Order(), used.Select(g => g.ToString()).Order());
    }

    [Fact]
    public async Task Without_the_nudge_a_write_turns_live_only_after_kubelets_period_and_a_refused_nudge_is_a_warning_and_a_count()
    {
        await using var set = await KubeletCluster.Start();
        var (cluster, kubelet, coredns) = (set.Cluster, set.Kubelet, set.CoreDns);
        cluster.Api.Faults.FailRequests(1.0, 403, verb: "patch", resource: "pods");
        var management = Ports.Free();
        var canal = cluster.StartCanal("--nudge-coredns-pods", "--management-port", management.ToString());
        await canal.WaitForLine(l => l.Contains("write #1 to kube-system/coredns"), "write #1");
        await canal.WaitForLine(l => l.Contains("could not be announced to kube-system/coredns-a"), "the refused nudge to be warned about");
        var marker = Canal.Dns.WriteMarker.In(cluster.Corefile())!;
        // Rounds go by and the replica still serves the Corefile from before the write.
        await Eventually.True(() => coredns.QuestionsAbout(marker) >= 3, "three rounds asking for write #1's marker");
        Assert.DoesNotContain(canal.Lines, l => l.Contains("write #1 is live"));

        kubelet.Sync();

        await canal.WaitForLine(l => l.Contains("write #1 is live on 1/1 replicas after"), "write #1 to be seen live after kubelet's sync");
        Assert.Equal(1, coredns.AnsweredAbout(marker));
        Assert.DoesNotContain(kubelet.Refreshes, r => r.Annotated);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{management}/metrics");
        Assert.Equal(1, PrometheusText.Value(metrics, "canal_coredns_nudges_total", ("result", "failed")));
        Assert.Single(canal.Lines, l => l.Contains("--nudge-coredns-pods:"));
    }
}
