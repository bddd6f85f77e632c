using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Canal.Tests.Support;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Canal.Tests.KubeApi;

/// <summary>The emulator driven by the official KubernetesClient, the library Canal talks to Kubernetes with.</summary>
public sealed class KubernetesClientTests
{
    private const string Istio = "networking.istio.io";

    [Fact]
    public async Task Lists_then_watches_virtual_services_in_one_namespace_and_in_all()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = Client(server);
        server.Apply(KubectlTests.VirtualService("default", "before", "before.example.com"));

        var list = (JsonElement)await client.CustomObjects.ListNamespacedCustomObjectAsync(Istio, "v1", "default", "virtualservices");
        Assert.Equal("VirtualServiceList", list.GetProperty("kind").GetString());
        Assert.Equal("before", list.GetProperty("items")[0].GetProperty("metadata").GetProperty("name").GetString());
        var rv = list.GetProperty("metadata").GetProperty("resourceVersion").GetString();

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var inDefault = Collect(client.CustomObjects.WatchListNamespacedCustomObjectAsync(Istio, "v1", "default", "virtualservices", resourceVersion: rv, cancellationToken: stop.Token));
        var everywhere = Collect(client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(Istio, "v1", "virtualservices", resourceVersion: rv, cancellationToken: stop.Token));

        server.Apply(KubectlTests.VirtualService("default", "hello", "hello.example.com"));
        server.Apply(KubectlTests.VirtualService("istio-system", "elsewhere", "elsewhere.example.com"));
        server.Apply(KubectlTests.VirtualService("default", "hello", "changed.example.com"));
        server.Delete(Istio, "virtualservices", "default", "hello");

        string[] expected = ["Added default/hello", "Modified default/hello", "Deleted default/hello"];
        await Eventually.True(() => inDefault.Events.Count == 3, "three events in default");
        Assert.Equal(expected, inDefault.Events);
        await Eventually.True(() => everywhere.Events.Count == 4, "four events everywhere");
        Assert.Equal(["Added default/hello", "Added istio-system/elsewhere", "Modified default/hello", "Deleted default/hello"], everywhere.Events);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task A_stale_replace_is_a_409_whose_content_is_a_conflict_status()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = Client(server);
        KubectlTests.SeedCoreDns(server);
        var mine = await client.CoreV1.ReadNamespacedConfigMapAsync("coredns", "kube-system");
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"other":"editor"}}""", V1Patch.PatchType.MergePatch), "coredns", "kube-system");

        mine.Data["Corefile"] = "broken";
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(mine, "coredns", "kube-system"));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal(409, status.Code);
        Assert.DoesNotContain(server.Revisions("", "configmaps", "kube-system", "coredns"), r => r.Contains("broken"));
    }

    [Fact]
    public async Task A_watch_from_before_a_compaction_gets_410_expired()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = Client(server);
        KubectlTests.SeedCoreDns(server);
        var rv = (await client.CoreV1.ListNamespacedConfigMapAsync("kube-system")).Metadata.ResourceVersion;
        server.Apply(KubectlTests.ConfigMap("kube-system", "later", "x"));
        server.Compact();

        Exception? error = null;
        var events = new List<WatchEventType>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var (type, _) in client.CoreV1.WatchListNamespacedConfigMapAsync("kube-system", resourceVersion: rv, onError: e => error = e, cancellationToken: stop.Token))
            events.Add(type);

        Assert.Empty(events);
        var expired = Assert.IsType<KubernetesException>(error);
        Assert.Equal(410, expired.Status.Code);
        Assert.Equal("Expired", expired.Status.Reason);
        Assert.StartsWith($"too old resource version: {rv} (", expired.Status.Message);

        // A client recovers as informers do: list again, and watch from the new list's resourceVersion.
        var fresh = (await client.CoreV1.ListNamespacedConfigMapAsync("kube-system")).Metadata.ResourceVersion;
        server.Apply(KubectlTests.ConfigMap("kube-system", "later", "y"));
        await foreach (var (type, configMap) in client.CoreV1.WatchListNamespacedConfigMapAsync("kube-system", resourceVersion: fresh, cancellationToken: stop.Token))
        {
            Assert.Equal((WatchEventType.Modified, "y"), (type, configMap.Metadata.Labels["app"]));
            break;
        }
    }

    [Fact]
    public async Task Limit_and_continue_page_through_one_consistent_snapshot()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var client = Client(server);
        foreach (var name in (string[])["b", "c", "d", "e", "f"])
            server.Apply(KubectlTests.ConfigMap("default", name, "x"));

        var first = await client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2);
        Assert.Equal(["b", "c"], first.Items.Select(i => i.Metadata.Name));
        Assert.Equal(3, first.Metadata.RemainingItemCount);
        server.Apply(KubectlTests.ConfigMap("default", "a", "x"));
        server.Delete("", "configmaps", "default", "e");

        var second = await client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: first.Metadata.ContinueProperty);
        var third = await client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: second.Metadata.ContinueProperty);

        Assert.Equal(["d", "e"], second.Items.Select(i => i.Metadata.Name));
        Assert.Equal(["f"], third.Items.Select(i => i.Metadata.Name));
        Assert.Null(third.Metadata.ContinueProperty);
        Assert.Equal(first.Metadata.ResourceVersion, third.Metadata.ResourceVersion);

        server.Compact();
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: first.Metadata.ContinueProperty));
        Assert.Equal(HttpStatusCode.Gone, e.Response.StatusCode);
        Assert.Equal("Expired", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Reason);
    }

    internal static Kubernetes Client(KubeApiServer server)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        server.WriteKubeconfig(path);
        try
        {
            return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Collects "Type namespace/name" for each event of a watch running in the background.</summary>
    private sealed class Collector
    {
        public ConcurrentQueue<string> Queue { get; } = new();

        public IReadOnlyList<string> Events => [.. Queue];
    }

    private static Collector Collect(IAsyncEnumerable<(WatchEventType Type, object Object)> watch)
    {
        var collector = new Collector();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, obj) in watch)
                {
                    var metadata = ((JsonElement)obj).GetProperty("metadata");
                    collector.Queue.Enqueue($"{type} {metadata.GetProperty("namespace").GetString()}/{metadata.GetProperty("name").GetString()}");
                }
            }
            catch (OperationCanceledException)
            {
                // The test is over.
            }
            catch (Exception e)
            {
                collector.Queue.Enqueue($"failed: {e}");
            }
        });
        return collector;
    }
}
