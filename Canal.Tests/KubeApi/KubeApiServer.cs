using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Canal.Tests.KubeApi;

/// <summary>
/// An in-process Kubernetes API server for tests: the subset Canal uses (ConfigMaps, Services, Namespaces, Events,
/// EndpointSlices, Istio VirtualServices and Gateways), on 127.0.0.1 at a random port, answering kubectl and
/// KubernetesClient as a real server would, with faults to inject and a log of what was asked.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ResourceCatalog _catalog;
    private readonly ObjectStore _store;
    private readonly WatchHub _hub;
    private readonly Registry _registry;
    private readonly RequestLog _log = new();
    private readonly Timer _bookmarks;

    private KubeApiServer(KubeApiOptions options)
    {
        Options = options;
        _catalog = new ResourceCatalog(options.IstioVersions, options.GatewayApi);
        _hub = new WatchHub(options.WatchHistory);
        _store = new ObjectStore(_hub, options.RevisionsKept);
        _registry = new Registry(_catalog, _store, _hub, new KindRules());
        Faults = new Faults(_hub.DropAll);
        var handler = new ApiHandler(_catalog, new Discovery(_catalog, options), _registry, _store, _hub, Faults, _log);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Run(handler.Handle);

        // Bookmarks are queued under the store's lock, so each one follows every event it vouches for.
        _bookmarks = new Timer(_ => _store.Atomically(() =>
        {
            _hub.Bookmark(_store.ResourceVersion);
            return true;
        }), null, options.BookmarkInterval, options.BookmarkInterval);

        foreach (var ns in options.Namespaces)
            Apply(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
    }

    public KubeApiOptions Options { get; }

    /// <summary>The base URL, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string Url { get; private set; } = "";

    public Faults Faults { get; }

    /// <summary>Every resource request answered so far, oldest first.</summary>
    public IReadOnlyList<RequestRecord> RequestLog => _log.Snapshot();

    /// <summary>Every discovery (or other non-resource) request so far, oldest first.</summary>
    public IReadOnlyList<DiscoveryRequest> DiscoveryLog => _log.DiscoverySnapshot();

    /// <summary>The last resourceVersion handed out (the etcd revision).</summary>
    public long ResourceVersion => _store.ResourceVersion;

    /// <summary>How many watches are open now.</summary>
    public int OpenWatches => _hub.Count;

    public static async Task<KubeApiServer> StartAsync(KubeApiOptions? options = null)
    {
        var server = new KubeApiServer(options ?? new KubeApiOptions());
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = address.Replace("[::1]", "127.0.0.1").TrimEnd('/');
        return server;
    }

    /// <summary>Writes a kubeconfig for this server; its user has a dummy token, as KubernetesClient requires credentials.</summary>
    public void WriteKubeconfig(string path) =>
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-emulator
              cluster:
                server: {Url}
            users:
            - name: kube-emulator
              user:
                token: kube-emulator-token
            contexts:
            - name: kube-emulator
              context:
                cluster: kube-emulator
                user: kube-emulator
                namespace: default
            current-context: kube-emulator
            """);

    /// <summary>
    /// Creates or replaces an object directly (no faults, no request log, no resourceVersion check; status is
    /// written as given). Watches see the change. The namespace must exist. Returns the object as stored.
    /// </summary>
    public JsonObject Apply(JsonObject obj)
    {
        var apiVersion = (string?)obj["apiVersion"] ?? throw new ArgumentException("the object has no apiVersion");
        var kind = (string?)obj["kind"] ?? throw new ArgumentException("the object has no kind");
        var (type, version) = _catalog.FindKind(apiVersion, kind) ?? throw new ArgumentException($"{kind} at {apiVersion} is not served");
        var body = (JsonObject)obj.DeepClone();
        var metadata = body["metadata"] as JsonObject ?? throw new ArgumentException("the object has no metadata");
        metadata.Remove("resourceVersion");
        var ns = type.Namespaced ? (string?)metadata["namespace"] ?? "default" : "";
        var name = (string?)metadata["name"] ?? throw new ArgumentException("the object has no name");
        return _store.Atomically(() => _store.Get(type, ns, name) == null
            ? _registry.Create(type, version, ns, body, seeding: true)
            : _registry.Update(type, version, ns, name, body, seeding: true));
    }

    /// <summary>Applies every document of a YAML (or JSON) manifest, in order.</summary>
    public IReadOnlyList<JsonObject> Apply(string yaml) => [.. Yaml.Documents(yaml).Select(Apply)];

    /// <summary>The Corefile in CoreDNS's ConfigMap (kube-system/coredns) as stored now; "" when there is none.</summary>
    public string Corefile() => (string?)Get("", "v1", "configmaps", "kube-system", "coredns")?["data"]?["Corefile"] ?? "";

    /// <summary>The object as served at <paramref name="version"/>, or null.</summary>
    public JsonObject? Get(string group, string version, string resource, string? ns, string name)
    {
        var type = _catalog.Find(group, version, resource) ?? throw new ArgumentException($"{resource} at {group}/{version} is not served");
        return _store.Get(type, ns ?? "", name) is { } obj ? type.Serve(obj, version) : null;
    }

    /// <summary>Every object of a resource (in <paramref name="ns"/>, or everywhere), as a list request would serve them.</summary>
    public IReadOnlyList<JsonObject> List(string group, string version, string resource, string? ns)
    {
        var type = _catalog.Find(group, version, resource) ?? throw new ArgumentException($"{resource} at {group}/{version} is not served");
        var list = _registry.List(type, version, ns, new ListQuery(LabelSelector.Parse(null), FieldSelector.Parse(null), null, null));
        return [.. list["items"]!.AsArray().OfType<JsonObject>()];
    }

    /// <summary>Every revision ever stored for the object, oldest first, as the JSON text that was stored.</summary>
    public IReadOnlyList<string> Revisions(string group, string resource, string? ns, string name) =>
        _store.Revisions(Type(group, resource), ns ?? "", name);

    /// <summary>Deletes an object as an API DELETE would (finalizers and namespace termination included); false if it did not exist.</summary>
    public bool Delete(string group, string resource, string? ns, string name)
    {
        var type = Type(group, resource);
        try
        {
            _registry.Delete(type, type.StorageVersion, ns ?? "", name, null);
            return true;
        }
        catch (KubeApiException e) when (e.Code == 404)
        {
            return false;
        }
    }

    /// <summary>Calls <paramref name="observer"/> with every change stored from now on, in order, as it is stored.</summary>
    internal void Observe(Action<StoredEvent> observer) => _hub.Observe(observer);

    /// <summary>Forgets the watch history up to now, as an etcd compaction: watches and continue tokens from before get 410.</summary>
    public void Compact() => _store.Atomically(() =>
    {
        _hub.Compact(_store.ResourceVersion);
        return true;
    });

    public async ValueTask DisposeAsync()
    {
        await _bookmarks.DisposeAsync();
        Faults.Dispose();
        _hub.DropAll();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private ResourceType Type(string group, string resource) =>
        _catalog.Find(group, resource) ?? throw new ArgumentException($"{resource} in group '{group}' is not emulated");
}
