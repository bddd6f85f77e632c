using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Canal.Tests.Support;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Canal.Tests.KubeApi;

/// <summary>The faults a test can inject, seen from KubernetesClient and from the wire.</summary>
public sealed class FaultTests
{
    private static readonly ObjectRef CoreDns = ObjectRef.ConfigMap("kube-system", "coredns");

    [Fact]
    public async Task Injected_500s_and_429s_hit_only_the_chosen_verb_and_resource()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = KubernetesClientTests.Client(server);
        KubectlTests.SeedCoreDns(server);

        server.Faults.FailRequests(1.0, 500, verb: "list", resource: "configmaps");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedConfigMapAsync("kube-system"));
        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        Assert.Equal("InternalError", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Reason);
        await client.CoreV1.ReadNamespacedConfigMapAsync("coredns", "kube-system");
        await client.CoreV1.ListNamespacedServiceAsync("default");

        server.Faults.StopFailingRequests();
        server.Faults.FailRequests(1.0, 429, resource: "services");
        await client.CoreV1.ListNamespacedConfigMapAsync("kube-system");
        using var http = new HttpClient();
        var tooMany = await http.GetAsync($"{server.Url}/api/v1/namespaces/default/services");
        Assert.Equal(HttpStatusCode.TooManyRequests, tooMany.StatusCode);
        Assert.Equal("1", tooMany.Headers.GetValues("Retry-After").Single());
        Assert.Equal("text/plain", tooMany.Content.Headers.ContentType?.MediaType);

        Assert.Equal(
            [("list", 500), ("get", 200), ("list", 200), ("list", 200), ("list", 429)],
            server.RequestLog.Select(r => (r.Verb, r.StatusCode)));
    }

    [Fact]
    public async Task A_concurrent_editor_turns_an_update_into_a_conflict_and_keeps_its_change()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = KubernetesClientTests.Client(server);
        KubectlTests.SeedCoreDns(server);
        var edits = 0;
        using (server.Faults.BeforeUpdate(CoreDns, (stored, incoming) =>
        {
            if (edits++ > 0)
                return null;
            stored["data"]!["editor"] = "was here";
            return stored;
        }))
        {
            var mine = await client.CoreV1.ReadNamespacedConfigMapAsync("coredns", "kube-system");
            mine.Data["Corefile"] = "mine";
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(mine, "coredns", "kube-system"));
            Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);

            var stored = server.Get("", "v1", "configmaps", "kube-system", "coredns")!;
            Assert.Equal("was here", (string?)stored["data"]!["editor"]);
            Assert.NotEqual("mine", (string?)stored["data"]!["Corefile"]);

            // Read again, write again: now it lands, on top of the other editor's change.
            mine = await client.CoreV1.ReadNamespacedConfigMapAsync("coredns", "kube-system");
            mine.Data["Corefile"] = "mine";
            await client.CoreV1.ReplaceNamespacedConfigMapAsync(mine, "coredns", "kube-system");
        }
        var revisions = server.Revisions("", "configmaps", "kube-system", "coredns").Select(r => JsonNode.Parse(r)!["data"]!).ToList();
        Assert.Equal(3, revisions.Count);
        Assert.Equal(("was here", "mine"), ((string?)revisions[2]["editor"], (string?)revisions[2]["Corefile"]));
    }

    [Fact]
    public async Task Forced_conflicts_and_delays_apply_until_reset()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = KubernetesClientTests.Client(server);
        KubectlTests.SeedCoreDns(server);
        var patch = new V1Patch("""{"data":{"x":"1"}}""", V1Patch.PatchType.MergePatch);

        server.Faults.ConflictUpdates(CoreDns, 1.0);
        server.Faults.Delay = TimeSpan.FromMilliseconds(300);
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedConfigMapAsync(patch, "coredns", "kube-system"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(300), $"answered after {clock.Elapsed}");
        Assert.Equal("Conflict", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Reason);

        server.Faults.Reset();
        await client.CoreV1.PatchNamespacedConfigMapAsync(patch, "coredns", "kube-system");
        Assert.Equal("1", (string?)server.Get("", "v1", "configmaps", "kube-system", "coredns")!["data"]!["x"]);
    }

    [Fact]
    public async Task Dropped_watches_lose_their_connection_now_or_at_an_interval()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = KubernetesClientTests.Client(server);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var watch = Drain(client.CoreV1.WatchListNamespacedConfigMapAsync("default", cancellationToken: stop.Token));
        await Eventually.True(() => server.OpenWatches == 1, "the watch to open");
        server.Faults.DropWatches();
        await watch.WaitAsync(stop.Token);
        await Eventually.True(() => server.OpenWatches == 0, "the dropped watch to be gone");

        server.Faults.DropWatchesEvery = TimeSpan.FromMilliseconds(200);
        await Drain(client.CoreV1.WatchListNamespacedServiceAsync("default", cancellationToken: stop.Token)).WaitAsync(stop.Token);
        await Drain(client.CoreV1.WatchListNamespacedServiceAsync("default", cancellationToken: stop.Token)).WaitAsync(stop.Token);
    }

    [Fact]
    public async Task The_next_watch_of_a_resource_can_be_made_to_expire()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = KubernetesClientTests.Client(server);
        KubectlTests.SeedCoreDns(server);
        var rv = (await client.CoreV1.ListNamespacedConfigMapAsync("kube-system")).Metadata.ResourceVersion;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        server.Faults.ExpireNextWatch("configmaps");
        Exception? error = null;
        await foreach (var _ in client.CoreV1.WatchListNamespacedConfigMapAsync("kube-system", resourceVersion: rv, onError: e => error = e, cancellationToken: stop.Token))
            Assert.Fail("an expired watch has no events");
        Assert.Equal(410, Assert.IsType<KubernetesException>(error).Status.Code);

        server.Apply(KubectlTests.ConfigMap("kube-system", "next", "x"));
        await foreach (var (type, configMap) in client.CoreV1.WatchListNamespacedConfigMapAsync("kube-system", resourceVersion: rv, cancellationToken: stop.Token))
        {
            Assert.Equal((WatchEventType.Added, "next"), (type, configMap.Metadata.Name));
            break;
        }
    }

    [Fact]
    public async Task Bookmarks_come_at_the_configured_interval_to_watches_that_ask()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        using var client = KubernetesClientTests.Client(server);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        server.Apply(KubectlTests.ConfigMap("kube-system", "unrelated", "x"));

        await foreach (var (type, configMap) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: "1", allowWatchBookmarks: true, cancellationToken: stop.Token))
        {
            Assert.Equal(WatchEventType.Bookmark, type);
            // A bookmark vouches for everything up to now, including changes this watch does not select.
            Assert.Equal(server.ResourceVersion.ToString(), configMap.Metadata.ResourceVersion);
            break;
        }

        // Without asking, none: the watch times out having sent nothing at all.
        using var http = new HttpClient();
        Assert.Equal("", await http.GetStringAsync($"{server.Url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1&timeoutSeconds=1", stop.Token));

        // Odd but true of KubernetesClient 21.0.8 (against a real server too): a watch that ends before its first
        // line throws instead of ending, so a watch loop must treat this exception as a normal end.
        var e = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var _ in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: "1", timeoutSeconds: 1, cancellationToken: stop.Token))
                Assert.Fail("no event was expected");
        });
        Assert.IsType<EndOfStreamException>(e.InnerException);
    }

    private static async Task Drain<T>(IAsyncEnumerable<T> watch)
    {
        try
        {
            await foreach (var _ in watch)
            {
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // A dropped connection may end the stream with an error or just end it; either is a dropped watch.
        }
    }
}
