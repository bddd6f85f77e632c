using System.Text.Json.Nodes;
using Canal.Tests.KubernetesMode;
using Canal.Tests.Support;

namespace Canal.Tests.Monitoring;

/// <summary>
/// A real Prometheus and Alertmanager (Debian's packages) scraping a real <c>canal run</c> with the rules the chart
/// renders: the alerts fire on what Canal really exports, resolve when it recovers, and every dashboard query has data.
/// </summary>
public sealed class PrometheusAlertTests : IDisposable
{
    private const string Hello = "helloworld.default.svc.cluster.local";

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-alerts-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task A_write_a_CoreDNS_replica_never_loads_fires_CanalWriteNotLive_naming_the_Corefile_and_it_resolves_once_the_replica_catches_up()
    {
        var manifests = Samples.CopyTo(Samples.Helloworld, Path.Combine(_temp.FullName, "manifests"));
        var corefile = Path.Combine(_temp.FullName, "Corefile");
        // Serves no Corefile (answers every name as before any write) until it catches up.
        var caughtUp = false;
        using var coredns = DnsResponder.Serving(() => caughtUp && File.Exists(corefile) ? File.ReadAllText(corefile) : "", DnsResponder.SampleServices);
        var port = Ports.Free();
        await using var canal = CanalProcess.Start(_temp.FullName, "run", "--manifests", manifests, "--corefile", corefile, "--data", Path.Combine(_temp.FullName, "data"),
            "--dns-probe", coredns.Endpoint, "--propagation-deadline-s", "2", "--management-port", port.ToString());
        await using var prometheus = await PrometheusServer.Start([("canal", $"127.0.0.1:{port}")], Monitoring.RuleFile(Monitoring.PrometheusRule()));

        var fired = await Firing(prometheus, "CanalWriteNotLive");
        Assert.Equal(corefile, (string?)fired["labels"]!["store"]);
        Assert.StartsWith($"1 recent write(s) of {corefile} are not served by every CoreDNS replica", (string?)fired["annotations"]!["description"]);
        Assert.Equal("docs/operating.md#canalwritenotlive", (string?)fired["annotations"]!["runbook_url"]);
        await Eventually.True(() => prometheus.AlertmanagerAlerts().Result.Any(a => (string?)a["labels"]!["alertname"] == "CanalWriteNotLive"),
            "the Alertmanager to receive CanalWriteNotLive", TimeSpan.FromSeconds(30));

        caughtUp = true;
        await canal.WaitForLine(l => l.Contains("write #1 is live on 1/1 replicas"), "write #1 to be seen live once the replica serves it");
        await Eventually.True(() => prometheus.Alerts().Result.All(a => (string?)a["labels"]!["alertname"] != "CanalWriteNotLive"),
            () => $"CanalWriteNotLive to resolve\n{Describe(prometheus.Alerts().Result)}", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task In_a_cluster_a_refused_permission_and_a_withdrawn_gateway_fire_their_alerts_and_every_dashboard_query_returns_a_series()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        // One CoreDNS replica behind kube-dns that serves what Canal writes: writes go live, so propagation is measured.
        using var coredns = DnsResponder.Serving(cluster.Corefile, DnsResponder.SampleServices);
        cluster.Api.Apply(coredns.KubeDnsSlice("kube-dns-abcde", "coredns-live"));
        cluster.Api.Faults.FailRequests(1.0, 403, "create", "events");
        var port = Ports.Free();
        var canal = cluster.StartCanal("--readiness-grace-s", "2", "--management-port", port.ToString());
        await using var prometheus = await PrometheusServer.Start([("canal", $"127.0.0.1:{port}")], Monitoring.RuleFile(Monitoring.PrometheusRule()));
        await cluster.Redirects([Hello]);

        var refused = await Firing(prometheus, "CanalApiRefused");
        Assert.Equal(("create", "events", "403"), ((string?)refused["labels"]!["verb"], (string?)refused["labels"]!["resource"], (string?)refused["labels"]!["code"]));
        Assert.StartsWith("The API server answered 403 to Canal's create on events", (string?)refused["annotations"]!["description"]);

        cluster.Api.Faults.StopFailingRequests();
        cluster.Api.Apply(KubeCluster.EndpointSlice(ready: false));
        var withdrawn = await Firing(prometheus, "CanalGatewayWithdrawn");
        Assert.Equal("istio-system/canal", (string?)withdrawn["labels"]!["gateway"]);
        Assert.StartsWith("The canal gateway istio-system/canal has had no ready endpoints", (string?)withdrawn["annotations"]!["description"]);

        var queries = Monitoring.DashboardQueries();
        var empty = queries;
        await Eventually.True(() =>
            {
                empty = [.. queries.Where(q => prometheus.Query(q.Query).Result.Count == 0)];
                return empty.Count == 0;
            },
            () => "every dashboard query to return a series; none for:\n" + string.Join('\n', empty.Select(q => $"{q.Panel}: {q.Query}")), TimeSpan.FromSeconds(60));
        await canal.Stop();
    }

    /// <summary>Waits until Prometheus holds <paramref name="alert"/> firing; answers it.</summary>
    private static async Task<JsonObject> Firing(PrometheusServer prometheus, string alert)
    {
        JsonObject? firing = null;
        await Eventually.True(() =>
            {
                firing = prometheus.Alerts().Result.FirstOrDefault(a => (string?)a["labels"]!["alertname"] == alert && (string?)a["state"] == "firing");
                return firing != null;
            },
            () => $"{alert} to fire\n{Describe(prometheus.Alerts().Result)}\n{prometheus.Log()}", TimeSpan.FromSeconds(60));
        return firing!;
    }

    private static string Describe(IReadOnlyList<JsonObject> alerts) =>
        alerts.Count == 0 ? "no alerts" : string.Join('\n', alerts.Select(a => $"{a["labels"]!["alertname"]} {a["state"]}: {a["labels"]!.ToJsonString()}"));
}
