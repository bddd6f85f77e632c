using System.Text.Json;
using Canal.Istio;
using Canal.Mapping;
using Canal.Node.Hosting;
using Canal.Pacing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// The Kubernetes API as the source of objects: VirtualServices and Gateways (the newest networking.istio.io
/// version the server offers), Services, the gateway namespaces' EndpointSlices (readiness) and the CoreDNS
/// ConfigMap (drift). Publishes a view only once every kind has been listed, so the sync barrier never sees
/// a partial cluster. A VirtualService that stops decoding keeps its last good version and is reported.
/// </summary>
internal sealed class KubernetesSource(IKubernetes client, KubernetesSettings settings, string storeConfigMap, ILogger logger, Action<ManifestError, ObjectKey>? onInvalid = null) : IObjectSource
{
    /// <summary>
    /// Events this close together go out as one view. Short: it adds to every change's latency, and the
    /// SourceActor already folds views that arrive while it delivers, as the DnsWriter folds writes.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(10);

    /// <summary>Under a steady stream of events a view still goes out this often: settling alone would starve it.</summary>
    private static readonly TimeSpan MaxSettle = TimeSpan.FromMilliseconds(250);
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<ObjectKey, VirtualService> _virtualServices = [];
    private readonly Dictionary<ObjectKey, Gateway> _gateways = [];
    private readonly Dictionary<ObjectKey, ClusterService> _services = [];
    private readonly Dictionary<ObjectKey, (ObjectKey Service, int Ready)> _slices = [];
    private readonly HashSet<string> _listed = [];
    private readonly HashSet<(string Plural, ObjectKey Key)> _undecodable = [];
    private readonly List<string> _loops = [];
    private SettlingTimer? _publish;
    private Action<SourceView> _onView = _ => { };

    public void Start(Action<SourceView> onView, Action onStoreChanged)
    {
        _onView = onView;
        _publish = new SettlingTimer(Settle, MaxSettle, Publish);
        _ = Task.Run(() => Run(onStoreChanged, _stopping.Token));
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _publish?.Dispose();
    }

    private async Task Run(Action onStoreChanged, CancellationToken cancellationToken)
    {
        var version = await IstioVersion(cancellationToken);
        var loops = new List<Task>();
        foreach (var ns in Scope(settings.Namespaces))
            loops.Add(WatchIstio($"virtualservices{At(ns)}", version, "virtualservices", ns, _virtualServices, e => ManifestDecoder.DecodeVirtualService(e), cancellationToken));
        foreach (var ns in Scope(settings.GatewayNamespaces))
        {
            loops.Add(WatchIstio($"gateways{At(ns)}", version, "gateways", ns, _gateways, e => ManifestDecoder.DecodeGateway(e), cancellationToken));
            loops.Add(WatchEndpointSlices($"endpointslices{At(ns)}", ns, cancellationToken));
        }
        loops.Add(WatchServices(cancellationToken));
        loops.Add(WatchStore(onStoreChanged, cancellationToken));
        try
        {
            await Task.WhenAll(loops);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The newest networking.istio.io version the server serves, waiting for Istio's CRDs if need be.</summary>
    private async Task<string> IstioVersion(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                var groups = await client.Apis.GetAPIVersionsAsync(cancellationToken);
                var served = groups.Groups.FirstOrDefault(g => g.Name == ManifestDecoder.IstioGroup)?.Versions.Select(v => v.Version).ToHashSet() ?? [];
                if (ManifestDecoder.IstioVersions.FirstOrDefault(served.Contains) is { } version)
                {
                    logger.LogInformation("watching {Group}/{Version}", ManifestDecoder.IstioGroup, version);
                    return version;
                }
                logger.LogWarning("the API server does not serve {Group} (is Istio installed?); asking again", ManifestDecoder.IstioGroup);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("API discovery failed ({Error}); retrying", e.Message);
            }
            await Task.Delay(backoff.Next(), cancellationToken);
        }
    }

    private Task WatchIstio<T>(string what, string version, string plural, string? ns, Dictionary<ObjectKey, T> cache, Func<JsonElement, T> decode, CancellationToken cancellationToken)
    {
        var loop = new ListWatch<JsonElement>(what,
            async (next, ct) =>
            {
                var page = (JsonElement)(ns == null
                    ? await client.CustomObjects.ListClusterCustomObjectAsync(ManifestDecoder.IstioGroup, version, plural, continueParameter: next, limit: ListWatch<JsonElement>.PageSize, cancellationToken: ct)
                    : await client.CustomObjects.ListNamespacedCustomObjectAsync(ManifestDecoder.IstioGroup, version, ns, plural, continueParameter: next, limit: ListWatch<JsonElement>.PageSize, cancellationToken: ct));
                var metadata = page.GetProperty("metadata");
                return ([.. page.GetProperty("items").EnumerateArray()],
                    metadata.GetProperty("resourceVersion").GetString() ?? "",
                    metadata.TryGetProperty("continue", out var c) ? c.GetString() : null);
            },
            (resourceVersion, onError, ct) => Events(ns == null
                ? client.CustomObjects.WatchListClusterCustomObjectAsync(ManifestDecoder.IstioGroup, version, plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CustomObjects.WatchListNamespacedCustomObjectAsync(ManifestDecoder.IstioGroup, version, ns, plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct)),
            e => e.TryGetProperty("metadata", out var m) && m.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null,
            settings.Resync, logger);
        return Register(what, loop,
            items =>
            {
                _undecodable.RemoveWhere(u => u.Plural == plural && (ns == null || u.Key.Namespace == ns));
                Replace(cache, ns, items.Select(i => Decoded(plural, i, cache, decode)).OfType<(ObjectKey, T)>());
            },
            (type, item) =>
            {
                if (type == WatchEventType.Deleted)
                {
                    Remove(cache, KeyOf(item));
                    _undecodable.Remove((plural, KeyOf(item)));
                }
                else if (Decoded(plural, item, cache, decode) is { } decoded)
                    Upsert(cache, decoded.Key, decoded.Value);
            },
            cancellationToken);
    }

    private Task WatchServices(CancellationToken cancellationToken)
    {
        var loop = new ListWatch<V1Service>("services",
            async (next, ct) =>
            {
                var page = await client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: next, limit: ListWatch<V1Service>.PageSize, cancellationToken: ct);
                return ([.. page.Items], page.Metadata.ResourceVersion, page.Metadata.ContinueProperty);
            },
            (resourceVersion, onError, ct) => client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            s => s.Metadata?.ResourceVersion, settings.Resync, logger);
        return Register("services", loop,
            items => Replace(_services, null, items.Select(s => (Key(s.Metadata), ToClusterService(s)))),
            (type, s) =>
            {
                if (type == WatchEventType.Deleted)
                    Remove(_services, Key(s.Metadata));
                else
                    Upsert(_services, Key(s.Metadata), ToClusterService(s));
            },
            cancellationToken);
    }

    private Task WatchEndpointSlices(string what, string? ns, CancellationToken cancellationToken)
    {
        var loop = new ListWatch<V1EndpointSlice>(what,
            async (next, ct) =>
            {
                var page = ns == null
                    ? await client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(continueParameter: next, limit: ListWatch<V1EndpointSlice>.PageSize, cancellationToken: ct)
                    : await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, continueParameter: next, limit: ListWatch<V1EndpointSlice>.PageSize, cancellationToken: ct);
                return ([.. page.Items], page.Metadata.ResourceVersion, page.Metadata.ContinueProperty);
            },
            (resourceVersion, onError, ct) => ns == null
                ? client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(ns, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            s => s.Metadata?.ResourceVersion, settings.Resync, logger);
        return Register(what, loop,
            items => Replace(_slices, ns, items.Where(HasService).Select(s => (Key(s.Metadata), Readiness(s)))),
            (type, s) =>
            {
                if (type == WatchEventType.Deleted || !HasService(s))
                    Remove(_slices, Key(s.Metadata));
                else
                    Upsert(_slices, Key(s.Metadata), Readiness(s));
            },
            cancellationToken);
    }

    /// <summary>Watches the ConfigMap Canal writes, so an edit of Canal's section by someone else is put back.</summary>
    private Task WatchStore(Action onStoreChanged, CancellationToken cancellationToken)
    {
        var selector = $"metadata.name={storeConfigMap}";
        var loop = new ListWatch<V1ConfigMap>("configmap " + storeConfigMap,
            async (next, ct) =>
            {
                var page = await client.CoreV1.ListNamespacedConfigMapAsync(settings.CoreDnsNamespace, fieldSelector: selector, continueParameter: next, limit: ListWatch<V1ConfigMap>.PageSize, cancellationToken: ct);
                return ([.. page.Items], page.Metadata.ResourceVersion, page.Metadata.ContinueProperty);
            },
            (resourceVersion, onError, ct) => client.CoreV1.WatchListNamespacedConfigMapAsync(settings.CoreDnsNamespace, fieldSelector: selector, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            c => c.Metadata?.ResourceVersion, settings.Resync, logger);
        var first = true;
        return Register("configmap " + storeConfigMap, loop,
            _ =>
            {
                if (!first)
                    onStoreChanged();
                first = false;
            },
            (_, _) => onStoreChanged(),
            cancellationToken);
    }

    private Task Register<T>(string what, ListWatch<T> loop, Action<IReadOnlyList<T>> onListed, Action<WatchEventType, T> onEvent, CancellationToken cancellationToken)
    {
        lock (_lock)
            _loops.Add(what);
        return loop.Run(items =>
        {
            lock (_lock)
            {
                onListed(items);
                _listed.Add(what);
            }
            Changed();
        }, (type, item) =>
        {
            lock (_lock)
                onEvent(type, item);
            Changed();
        }, cancellationToken);
    }

    private void Changed() => _publish?.Changed();

    private void Publish()
    {
        SourceView view;
        lock (_lock)
        {
            // Until every kind has been listed once, a view would be partial: publish nothing.
            if (_loops.Count == 0 || !_loops.All(_listed.Contains))
                return;
            var ready = _slices.Values.GroupBy(s => s.Service).ToDictionary(g => g.Key, g => g.Sum(s => s.Ready));
            var watchedForReadiness = settings.GatewayNamespaces.ToHashSet();
            view = new SourceView(
                [.. _virtualServices.Values],
                [.. _gateways.Values],
                [.. _services.Values.Select(s => watchedForReadiness.Count == 0 || watchedForReadiness.Contains(s.Key.Namespace)
                    ? s with { ReadyEndpoints = ready.GetValueOrDefault(s.Key) }
                    : s)],
                _undecodable.Count == 0);
        }
        _onView(view);
    }

    private (ObjectKey Key, T Value)? Decoded<T>(string plural, JsonElement item, Dictionary<ObjectKey, T> cache, Func<JsonElement, T> decode)
    {
        var key = KeyOf(item);
        try
        {
            var decoded = decode(item);
            _undecodable.Remove((plural, key));
            return (key, decoded);
        }
        catch (ManifestFieldException e)
        {
            var error = new ManifestError($"{plural} {key}", null, e.Field, e.Message);
            var kept = cache.TryGetValue(key, out var good);
            if (!kept)
                _undecodable.Add((plural, key));
            logger.LogError("{Error}{Kept}", error, kept ? " (keeping its last good version)" : "");
            onInvalid?.Invoke(error, key);
            return kept ? (key, good!) : null;
        }
    }

    private static void Replace<T>(Dictionary<ObjectKey, T> cache, string? ns, IEnumerable<(ObjectKey Key, T Value)> decoded)
    {
        // Decode before clearing: an object that no longer decodes falls back to its cached last good version.
        var items = decoded.ToList();
        foreach (var key in cache.Keys.Where(k => ns == null || k.Namespace == ns).ToList())
            cache.Remove(key);
        foreach (var (key, value) in items)
            cache[key] = value;
    }

    private static void Upsert<T>(Dictionary<ObjectKey, T> cache, ObjectKey key, T value) => cache[key] = value;

    private static void Remove<T>(Dictionary<ObjectKey, T> cache, ObjectKey key) => cache.Remove(key);

    /// <summary>One watch per listed namespace, or one cluster-wide watch (null) when none are listed.</summary>
    private static IEnumerable<string?> Scope(IReadOnlyList<string> namespaces) => namespaces.Count == 0 ? [null] : namespaces.Select(n => (string?)n);

    private static string At(string? ns) => ns == null ? "" : $" in {ns}";

    private static ObjectKey KeyOf(JsonElement item)
    {
        var metadata = item.GetProperty("metadata");
        return new ObjectKey(metadata.TryGetProperty("namespace", out var ns) ? ns.GetString() ?? "" : "", metadata.GetProperty("name").GetString() ?? "");
    }

    private static ObjectKey Key(V1ObjectMeta metadata) => new(metadata.NamespaceProperty ?? "", metadata.Name);

    private static bool HasService(V1EndpointSlice slice) => slice.Metadata.Labels?.ContainsKey(ServiceNameLabel) == true;

    private static (ObjectKey, int) Readiness(V1EndpointSlice slice) =>
        (new ObjectKey(slice.Metadata.NamespaceProperty ?? "", slice.Metadata.Labels[ServiceNameLabel]),
         slice.Endpoints?.Count(e => e.Conditions?.Ready != false) ?? 0);

    private static ClusterService ToClusterService(V1Service service)
    {
        var spec = service.Spec;
        var ips = spec?.ClusterIPs?.Count > 0 ? spec.ClusterIPs : spec?.ClusterIP is { } ip ? [ip] : [];
        return new ClusterService(
            Key(service.Metadata),
            spec?.Selector is { } selector ? new Dictionary<string, string>(selector) : new Dictionary<string, string>(),
            [.. (spec?.Ports ?? []).Select(p => new ServicePort(p.Port, p.Name, p.Protocol))],
            [.. ips.Where(i => i != "None" && i != "")]);
    }

    private static async IAsyncEnumerable<(WatchEventType, JsonElement)> Events(IAsyncEnumerable<(WatchEventType, object)> events)
    {
        await foreach (var (type, obj) in events)
            yield return (type, (JsonElement)obj);
    }
}
