using System.Text.Json;
using System.Text.Json.Nodes;
using Canal.Dns;
using Canal.Istio;
using Canal.Reading;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;

namespace Canal.Tests.KubernetesMode;

/// <summary>The real <c>canal run --kubeconfig</c> process against the Kubernetes API emulator.</summary>
public sealed class KubernetesModeTests
{
    private const string Helloworld = "helloworld.default.svc.cluster.local";

    private static string Fqdn(string name, string ns = "default") => $"{name}.{ns}.svc.cluster.local";

    [Fact]
    public async Task Samples_applied_with_kubectl_are_redirected_and_deletions_withdraw_them_unless_another_VirtualService_still_routes_there()
    {
        await using var cluster = await KubeCluster.Start();
        var canal = cluster.StartCanal();
        var apply = await cluster.Kubectl("apply", "--validate=false", "-f", Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld"));
        Assert.True(apply.Exit == 0, apply.Output);
        await cluster.Redirects([Helloworld]);
        await canal.WaitForLine(l => l.Contains("saved the original kube-system/coredns to canal-coredns-backup"), "the backup before the first change");
        Assert.Equal(KubeCluster.Kubeadm, (string?)cluster.Api.Get("", "v1", "configmaps", "kube-system", "canal-coredns-backup")?["data"]?["Corefile"]);

        // The walkthrough routes only /hello: redirected, with a warning that the gateway answers other paths with a 404.
        await Eventually.True(() => cluster.Kubectl("get", "events", "-n", "default", "-o", "json").Result.Output is var events
                && events.Contains("\"reason\": \"PartiallyRouted\"") && events.Contains("partial: only uri prefix /hello is routed; other requests get 404"),
            "a PartiallyRouted event on the helloworld VirtualService");

        cluster.Api.Apply(KubeCluster.VirtualService("default", "second", "helloworld", "reviews"));
        await cluster.Redirects([Helloworld, Fqdn("reviews")]);

        var delete = await cluster.Kubectl("delete", "virtualservice", "helloworld", "-n", "default");
        Assert.True(delete.Exit == 0, delete.Output);
        await cluster.Redirects([Fqdn("reviews")]);
        Assert.Contains(Helloworld, CorefileUpdate.RedirectedHosts(cluster.Corefile()));

        Assert.True((await cluster.Kubectl("delete", "virtualservice", "second", "-n", "default")).Exit == 0);
        await cluster.Redirects([], [Helloworld, Fqdn("reviews")]);
        Assert.DoesNotContain("canal:begin", cluster.Corefile());
        Assert.Equal(KubeCluster.Kubeadm, cluster.Corefile());
        await canal.Stop();
    }

    [Fact]
    public async Task With_coverage_full_the_walkthroughs_partially_routed_name_gets_a_Blocked_Event_saying_why_and_stays_direct()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var canal = cluster.StartCanal("--coverage", "full");

        await Eventually.True(() => cluster.Api.List("", "v1", "events", "default").Any(e => (string?)e["reason"] == "Blocked"
                && ((string?)e["message"] ?? "").Contains("partial: only uri prefix /hello is routed; other requests get 404", StringComparison.Ordinal)
                && ((string?)e["message"] ?? "").Contains("--coverage full", StringComparison.Ordinal)),
            () => $"a Blocked Event on the helloworld VirtualService naming its coverage; the Events are:\n{string.Join("\n", cluster.Api.List("", "v1", "events", null).Select(e => e.ToJsonString()))}\ncanal said:\n{canal.Output}");
        // Istio's version and the Gateway API's kinds come from one discovery at start.
        Assert.Single(cluster.Api.DiscoveryLog, d => d.Path.TrimEnd('/') == "/apis");
        Assert.DoesNotContain(Helloworld, CorefileUpdate.RedirectedHosts(cluster.Corefile()));
        await canal.Stop();
    }

    [Fact]
    public async Task Started_while_the_API_server_restarts_Canal_waits_out_its_429s_and_403s_and_redirects_once_it_is_ready()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        cluster.Api.Faults.Starting = Startup.Storage;
        var canal = cluster.StartCanal();
        await Eventually.True(() => cluster.Api.RequestLog.Count(r => r.StatusCode == 429) >= 3, "Canal to keep asking through \"storage is (re)initializing\"");
        cluster.Api.Faults.Starting = Startup.Rbac;
        await Eventually.True(() => cluster.Api.RequestLog.Count(r => r.StatusCode == 403) >= 3, "Canal to keep asking while RBAC is not loaded");
        cluster.Api.Faults.Starting = Startup.Ready;

        await cluster.Redirects([Helloworld]);
        Assert.False(canal.HasExited);
        await canal.Stop();
    }

    [Fact]
    public async Task A_missing_permission_is_one_warning_that_names_it_then_a_count_in_the_metrics()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        cluster.Api.Faults.FailRequests(1.0, 403, "create", "events");
        var management = Ports.Free();
        var canal = cluster.StartCanal("--management-port", management.ToString());
        await cluster.Redirects([Helloworld]);
        cluster.Api.Apply(KubeCluster.VirtualService("default", "second", "reviews"));
        await cluster.Redirects([Helloworld, Fqdn("reviews")]);
        await Eventually.True(() => cluster.Api.RequestLog.Count(r => r.Verb == "create" && r.Resource == "events" && r.StatusCode == 403) >= 2, "two Events refused");

        var warning = Assert.Single(canal.Lines, l => l.Contains("refused to create events"));
        Assert.Contains("grant the ServiceAccount verb create on resource events in API group \"\"", warning);
        using var http = new HttpClient();
        await Eventually.True(() => PrometheusText.Value(http.GetStringAsync($"http://127.0.0.1:{management}/metrics").Result,
                "canal_api_refused_total", ("verb", "create"), ("resource", "events"), ("code", "403")) >= 2,
            "the refusals to be counted in /metrics");
        await canal.Stop();
    }

    [Fact]
    public async Task A_restart_with_nothing_changed_posts_no_Event_and_a_change_posts_one()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var canal = cluster.StartCanal();
        await cluster.Redirects([Helloworld]);
        int Created() => cluster.Api.RequestLog.Count(r => r.Verb == "create" && r.Resource == "events" && r.StatusCode == 201);
        await Eventually.True(() => Created() == 1, "the Redirected Event of helloworld");
        await canal.Stop();

        var restarted = cluster.StartCanal();
        await restarted.WaitForLine(l => l.Contains("is up to date"), "the restart to find nothing to write");
        // A change after the restart is posted: once its Event is there, the restart's own plan was looked at too.
        cluster.Api.Apply(KubeCluster.VirtualService("default", "second", "reviews"));
        await Eventually.True(() => cluster.Api.List("", "v1", "events", "default").Any(e => (string?)e["involvedObject"]?["name"] == "second"), "the Event of default/second");
        Assert.Equal(2, Created());
        Assert.DoesNotContain(cluster.Api.RequestLog, r => r.Resource == "events" && r.Verb == "patch");
        Assert.Contains(cluster.Api.RequestLog, r => r.Resource == "events" && r.Verb == "list");
        await restarted.Stop();
    }

    [Fact]
    public async Task A_due_resync_lists_again_on_a_quiet_cluster_without_waiting_for_watch_traffic()
    {
        // Bookmarks as rare as a real server's (about a minute), so no watch traffic arrives while the test runs.
        await using var cluster = await KubeCluster.Start(options: new KubeApiOptions { BookmarkInterval = TimeSpan.FromMinutes(5) });
        cluster.ApplySample();
        File.WriteAllText(Path.Combine(cluster.Temp.FullName, "appsettings.json"), """{ "Canal": { "Resync": "00:00:02" } }""");
        var canal = cluster.StartCanal();
        await cluster.Redirects([Helloworld]);

        // Nothing changes and the watches stay open (their timeout is 300 s): only the resync timer can list again.
        await Eventually.True(() => cluster.Api.RequestLog.Count(r => r.Verb == "list" && r.Resource == "virtualservices") >= 3,
            "two more listings of VirtualServices on a quiet cluster", TimeSpan.FromSeconds(30));
        await canal.Stop();
    }

    [Fact]
    public async Task A_VirtualService_the_gateway_would_not_route_stays_direct_and_its_Event_says_why()
    {
        await using var cluster = await KubeCluster.Start();
        var canal = cluster.StartCanal();
        Assert.Equal(0, (await cluster.Kubectl("apply", "--validate=false", "-f", Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld"))).Exit);
        cluster.Api.Apply(KubeCluster.VirtualService("default", "private", "reviews")
            .Replace("  gateways: [istio-system/canal]", "  gateways: [istio-system/canal]\n  exportTo: [\".\"]"));

        await cluster.Redirects([Helloworld]);
        await Eventually.True(() => cluster.Kubectl("get", "events", "-n", "default", "-o", "yaml").Result.Output
                .Contains("is not exported to namespace istio-system of gateway istio-system/canal"),
            "a Skipped event on the private VirtualService naming its exportTo");
        Assert.DoesNotContain(Fqdn("reviews"), CorefileUpdate.RedirectedHosts(cluster.Corefile()));
        await canal.Stop();
    }

    [Fact]
    public async Task Survives_dropped_watches_410_conflicting_editors_and_500s_during_a_burst_and_ends_exactly_at_the_render()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var namespaces = Enumerable.Range(0, 10).Select(i => $"team-{i}").ToList();
        foreach (var ns in namespaces)
            cluster.Api.Apply(KubeCluster.Namespace(ns));
        var canal = cluster.StartCanal("--debounce-ms", "100");
        await cluster.Redirects([Helloworld]);

        // Another editor of the Corefile changes a line of its own on a fifth of Canal's writes (the first included,
        // so it always gets in however few writes the burst becomes).
        var edits = 0;
        var updates = 0;
        using var editor = cluster.Api.Faults.BeforeUpdate(ObjectRef.ConfigMap("kube-system", "coredns"), (stored, incoming) =>
        {
            if (Interlocked.Increment(ref updates) % 5 != 1)
                return null;
            var edited = (JsonObject)stored.DeepClone();
            edited["data"]!["Corefile"] = ((string)stored["data"]!["Corefile"]!).Replace($"cache {30 + edits}", $"cache {30 + edits + 1}");
            edits++;
            return edited;
        });
        cluster.Api.Faults.FailRequests(0.1, 500);
        cluster.Api.Faults.DropWatchesEvery = TimeSpan.FromSeconds(2);

        var live = new Dictionary<string, string[]>();
        for (var change = 0; change < 2000; change++)
        {
            var ns = namespaces[change % namespaces.Count];
            var name = $"vs-{change % 300}";
            var key = $"{ns}/{name}";
            if (change % 7 == 6 && live.Remove(key))
            {
                cluster.Api.Delete("networking.istio.io", "virtualservices", ns, name);
            }
            else
            {
                live[key] = [$"svc-{change % 500}", $"shared-{change % 13}"];
                cluster.Api.Apply(KubeCluster.VirtualService(ns, name, live[key]));
            }
            if (change == 1000)
                cluster.Api.Compact();
        }

        cluster.Api.Faults.DropWatchesEvery = null;
        cluster.Api.Faults.StopFailingRequests();
        var final = live.Select(l => (VirtualService)ManifestReader.Read(KubeCluster.VirtualService(l.Key.Split('/')[0], l.Key.Split('/')[1], l.Value), "test").VirtualServices.Single())
            .Append(ManifestReader.Read(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld", "helloworld.yaml")), "sample").VirtualServices.Single())
            .ToList();
        var gateways = ManifestReader.Read(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld", "canal-gateway.yaml")), "sample").Gateways;
        // The Services as the API server holds them: with the ClusterIPs it assigned.
        var services = new[] { ("istio-system", "canal"), ("default", "helloworld") }
            .Select(s => ManifestDecoder.DecodeService(JsonDocument.Parse(cluster.Api.Get("", "v1", "services", s.Item1, s.Item2)!.ToJsonString()).RootElement))
            .ToList();
        string Expected() => cluster.RenderOf(final, gateways, services);
        await Eventually.True(() => Expected() == WriteMarkers.Without(cluster.Corefile()), () =>
        {
            var (want, have) = (CorefileUpdate.RedirectedHosts(Expected()), CorefileUpdate.RedirectedHosts(cluster.Corefile()));
            return $"the Corefile to equal the render of the final objects; missing [{string.Join(", ", want.Except(have))}], extra [{string.Join(", ", have.Except(want))}]; canal said:\n{canal.Output}";
        }, TimeSpan.FromSeconds(120));

        Assert.True(edits > 0, "the concurrent editor never got in");
        Assert.Contains($"cache {30 + edits}", cluster.Corefile());
        foreach (var revision in cluster.CorefileRevisions())
            Assert.Null(Record.Exception(() => CorefileUpdate.Apply(revision, new RedirectPlan([], []), DnsMode.Rewrite, "cluster.local")));
        await canal.Stop();
    }

    [Fact]
    public async Task Changes_made_while_Canal_is_down_are_applied_after_the_restart_and_nothing_partial_is_written_before_the_barrier()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        cluster.Api.Apply(KubeCluster.VirtualService("default", "reviews", "reviews"));
        cluster.Api.Apply(KubeCluster.VirtualService("default", "ratings", "ratings"));
        var first = cluster.StartCanal();
        await cluster.Redirects([Helloworld, Fqdn("reviews"), Fqdn("ratings")]);
        await first.Stop();
        var revisionsBefore = cluster.CorefileRevisions().Count;

        cluster.Api.Delete("networking.istio.io", "virtualservices", "default", "reviews");
        cluster.Api.Apply(KubeCluster.VirtualService("default", "details", "details"));
        var second = cluster.StartCanal();
        await cluster.Redirects([Helloworld, Fqdn("ratings"), Fqdn("details")], [Fqdn("reviews")]);
        await second.WaitForLine(l => l.Contains("1 stale claimers swept"), "the sweep of the deleted VirtualService");

        foreach (var revision in cluster.CorefileRevisions().Skip(revisionsBefore))
        {
            var hosts = CorefileUpdate.RedirectedHosts(revision);
            Assert.Contains(Fqdn("details"), hosts);
            Assert.DoesNotContain(Fqdn("reviews"), hosts);
        }
        await second.Stop();
    }

    [Fact]
    public async Task A_restart_with_nothing_changed_writes_nothing()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var first = cluster.StartCanal();
        await cluster.Redirects([Helloworld]);
        await first.Stop();
        var revisions = cluster.CorefileRevisions().Count;

        var second = cluster.StartCanal();
        await second.WaitForLine(l => l.Contains("is up to date: 1 hosts redirected, nothing written"), "the first check after the restart");
        await second.Stop();
        Assert.Equal(revisions, cluster.CorefileRevisions().Count);
    }

    [Fact]
    public async Task A_Corefile_that_would_push_the_ConfigMap_over_1_MiB_is_not_written_and_the_refusal_is_reported()
    {
        await using var cluster = await KubeCluster.Start();
        // Another key fills the ConfigMap almost to the API server's limit: the original fits, one redirect more does not.
        var padding = 1024 * 1024 - "Corefile".Length - KubeCluster.Kubeadm.Length - "zones.db".Length - 20;
        cluster.Api.Apply(KubeCluster.ConfigMap("coredns", new JsonObject { ["Corefile"] = KubeCluster.Kubeadm, ["zones.db"] = new string(';', padding) }));
        cluster.ApplySample();
        var canal = cluster.StartCanal();

        await canal.WaitForLine(l => l.Contains("would take") && l.Contains("the last good one is kept"), "the refusal to be reported");
        Assert.All(cluster.CorefileRevisions(), revision => Assert.Equal(KubeCluster.Kubeadm, revision));
        await canal.Stop();
    }

    [Fact]
    public async Task A_gateway_without_ready_endpoints_loses_its_redirects_after_the_grace_period_and_gets_them_back()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var canal = cluster.StartCanal("--readiness-grace-s", "2");
        await cluster.Redirects([Helloworld]);

        cluster.Api.Apply(KubeCluster.EndpointSlice(ready: false));
        await cluster.Redirects([], [Helloworld]);
        await canal.WaitForLine(l => l.Contains("gateway istio-system/canal") && l.Contains("withdrawn"), "the withdrawal to be reported");

        cluster.Api.Apply(KubeCluster.EndpointSlice(ready: true));
        await cluster.Redirects([Helloworld]);
        await canal.WaitForLine(l => l.Contains("gateway istio-system/canal is ready again"), "the restoration to be reported");
        await canal.Stop();
    }

    [Fact]
    public async Task An_edit_of_Canals_section_is_put_back_and_the_editors_other_changes_are_kept()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var canal = cluster.StartCanal();
        await cluster.Redirects([Helloworld]);

        var edited = cluster.Corefile().Replace($"rewrite name exact {Helloworld}", "rewrite name exact someone.else.svc.cluster.local").Replace("cache 30", "cache 45");
        cluster.Api.Apply(KubeCluster.ConfigMap("coredns", new JsonObject { ["Corefile"] = edited }));
        await cluster.Redirects([Helloworld], ["someone.else.svc.cluster.local"]);
        Assert.Contains("cache 45", cluster.Corefile());
        await canal.Stop();
    }

    [Fact]
    public async Task Custom_mode_writes_coredns_custom_and_leaves_the_Corefile_alone()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var canal = cluster.StartCanal("--mode", "custom");
        await Eventually.True(() => ((string?)cluster.Api.Get("", "v1", "configmaps", "kube-system", "coredns-custom")?["data"]?["canal.override"])?.Contains($"rewrite name exact {Helloworld} ") == true,
            "coredns-custom to get canal.override");
        Assert.Equal(KubeCluster.Kubeadm, cluster.Corefile());
        await canal.Stop();
    }

    [Fact]
    public async Task Purge_removes_Canals_section_and_restore_puts_the_original_back()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var canal = cluster.StartCanal();
        await cluster.Redirects([Helloworld]);
        await canal.Stop();

        var purge = CanalProcess.Start(cluster.Temp.FullName, "dns", "purge", "--kubeconfig", cluster.Kubeconfig);
        await purge.WaitForExit();
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Contains("Canal's section removed", purge.Output);
        Assert.Equal(KubeCluster.Kubeadm, cluster.Corefile());

        cluster.Api.Apply(KubeCluster.ConfigMap("coredns", new JsonObject { ["Corefile"] = "broken {" }));
        var restore = CanalProcess.Start(cluster.Temp.FullName, "dns", "restore", "--kubeconfig", cluster.Kubeconfig);
        await restore.WaitForExit();
        Assert.True(restore.ExitCode == 0, restore.Output);
        Assert.Equal(KubeCluster.Kubeadm, cluster.Corefile());
    }

    [Fact]
    public async Task Only_the_namespaces_asked_for_are_watched()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        cluster.Api.Apply(KubeCluster.Namespace("team-a"));
        cluster.Api.Apply(KubeCluster.Namespace("team-b"));
        cluster.Api.Apply(KubeCluster.VirtualService("team-a", "a", "a"));
        cluster.Api.Apply(KubeCluster.VirtualService("team-b", "b", "b"));
        var canal = cluster.StartCanal("--namespace", "team-a");
        await cluster.Redirects([Fqdn("a", "team-a")]);
        cluster.Api.Apply(KubeCluster.VirtualService("team-a", "a2", "a2"));
        await cluster.Redirects([Fqdn("a", "team-a"), Fqdn("a2", "team-a")], [Fqdn("b", "team-b"), Helloworld]);
        await canal.Stop();
    }
}
