using System.Text.Json;
using Canal.Istio;
using Canal.Mapping;
using Canal.Pacing;
using k8s;
using k8s.Models;
using static Canal.Node.Kubernetes.KubernetesObjects;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// The Kubernetes API as the source of objects: VirtualServices and Gateways (the newest networking.istio.io
/// version the server offers), Services, the gateway namespaces' EndpointSlices (readiness) and the CoreDNS
/// ConfigMap (drift). Publishes a view only once every kind has been listed, so the sync barrier never sees
/// a partial cluster. A VirtualService that stops decoding keeps its last good version and is reported.
/// </summary>
internal sealed partial class KubernetesSource(IKubernetes client, KubernetesSettings settings, string storeConfigMap, ILogger logger, Action<ManifestError, ObjectKey>? onInvalid = null) : IObjectSource
{
    /// <summary>
    /// Events this close together go out as one view. Short: it adds to every change's latency, and the
    /// SourceActor already folds views that arrive while it delivers, as the DnsWriter folds writes.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(10);

    /// <summary>Under a steady stream of events a view still goes out this often: settling alone would starve it.</summary>
    private static readonly TimeSpan MaxSettle = TimeSpan.FromMilliseconds(250);

    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<ObjectKey, VirtualService> _virtualServices = [];
    private readonly Dictionary<ObjectKey, Gateway> _gateways = [];
    private readonly Dictionary<ObjectKey, ClusterService> _services = [];
    private readonly Dictionary<ObjectKey, (ObjectKey Service, int Ready)> _slices = [];
    private readonly ServiceReadiness _readiness = new(settings.GatewayNamespaces);
    private readonly HashSet<string> _listed = [];
    private readonly HashSet<(string Plural, ObjectKey Key)> _undecodable = [];
    private readonly List<string> _loops = [];
    private bool _everyLoopRegistered;

    /// <summary>The VirtualServices changed since the last view; null when not known (none published yet, a listing, a translation's input changed).</summary>
    private HashSet<ObjectKey>? _changedVirtualServices;
    private SettlingTimer? _publish;
    private Action<SourceView> _onView = _ => { };

    public void Start(Action<SourceView> onView, Action onStoreChanged)
    {
        _onView = onView;
        _publish = new SettlingTimer(Settle, MaxSettle, Publish, TimeProvider.System);
        _ = Task.Run(() => Run(onStoreChanged, _stopping.Token));
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _publish?.Dispose();
    }

    private async Task Run(Action onStoreChanged, CancellationToken cancellationToken)
    {
        var (version, groups) = await IstioVersion(cancellationToken);
        // Before any loop starts: a view is published once every loop has listed, and must not miss the routes.
        var (gatewayApi, namespaces) = await GatewayApiVersions(groups, cancellationToken);
        var loops = new List<Task>(WatchGatewayApi(gatewayApi, namespaces, cancellationToken));
        foreach (var ns in WatchedResources.Scope(settings.Namespaces))
            loops.Add(KeepCustom(ManifestDecoder.IstioGroup, version, "virtualservices", "virtualservices", ns, _virtualServices, e => ManifestDecoder.DecodeVirtualService(e), key => key, cancellationToken,
                VirtualServiceChanged));
        foreach (var ns in WatchedResources.Scope(settings.GatewayNamespaces))
        {
            loops.Add(KeepCustom(ManifestDecoder.IstioGroup, version, "gateways", "gateways", ns, _gateways, e => ManifestDecoder.DecodeGateway(e), _ => null, cancellationToken));
            loops.Add(Keep(WatchedResources.EndpointSlices(client, settings, ns), _slices, ns, s => HasService(s) ? (Key(s.Metadata), Readiness(s)) : null, cancellationToken));
        }
        loops.Add(Keep(WatchedResources.Services(client, settings), _services, null, s => (Key(s.Metadata), ToClusterService(s)), cancellationToken));
        loops.Add(WatchStore(onStoreChanged, cancellationToken));
        // A loop lists as soon as it is registered: until the last one is, "every loop has listed" could be said of the first few.
        lock (_lock)
            _everyLoopRegistered = true;
        Changed();
        try
        {
            await Task.WhenAll(loops);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A custom kind: an object that stops decoding keeps its last good version (and is reported).</summary>
    /// <param name="changed">Told (under the lock) the key of each object an event changed, null when a listing replaced them all.</param>
    /// <param name="what">How messages name the kind (<c>httproutes.gateway.networking.k8s.io</c>), also the key of its undecodable objects.</param>
    /// <param name="claimer">The claimer an object that does not decode is reported as (its Event goes on the object); null for none.</param>
    private Task KeepCustom<T>(string group, string version, string plural, string what, string? ns, Dictionary<ObjectKey, T> cache, Func<JsonElement, T> decode,
        Func<ObjectKey, ObjectKey?> claimer, CancellationToken cancellationToken, Action<ObjectKey?>? changed = null) =>
        Register(WatchedResources.Custom(client, settings, group, version, plural, what, ns),
            items =>
            {
                _undecodable.RemoveWhere(u => u.Plural == what && (ns == null || u.Key.Namespace == ns));
                Replace(cache, ns, items.Select(i => Decoded(what, i, cache, decode, claimer)).OfType<(ObjectKey, T)>());
                changed?.Invoke(null);
            },
            (type, item) =>
            {
                changed?.Invoke(KeyOf(item));
                if (type == WatchEventType.Deleted)
                {
                    cache.Remove(KeyOf(item));
                    _undecodable.Remove((what, KeyOf(item)));
                }
                else if (Decoded(what, item, cache, decode, claimer) is { } decoded)
                    cache[decoded.Key] = decoded.Value;
            },
            cancellationToken);

    /// <summary>A typed kind kept in <paramref name="cache"/>: <paramref name="entry"/> null leaves an object out.</summary>
    private Task Keep<TObject, T>(WatchedResource<TObject> resource, Dictionary<ObjectKey, T> cache, string? ns, Func<TObject, (ObjectKey Key, T Value)?> entry,
        CancellationToken cancellationToken, Action<ObjectKey?>? changed = null)
        where TObject : IMetadata<V1ObjectMeta> =>
        Register(resource,
            items =>
            {
                Replace(cache, ns, items.Select(entry).OfType<(ObjectKey, T)>());
                changed?.Invoke(null);
            },
            (type, item) =>
            {
                changed?.Invoke(Key(item.Metadata));
                if (type != WatchEventType.Deleted && entry(item) is { } kept)
                    cache[kept.Key] = kept.Value;
                else
                    cache.Remove(Key(item.Metadata));
            },
            cancellationToken);

    /// <summary>Watches the ConfigMap Canal writes, so an edit of Canal's section by someone else is put back.</summary>
    private Task WatchStore(Action onStoreChanged, CancellationToken cancellationToken)
    {
        var first = true;
        return Register(WatchedResources.ConfigMap(client, settings, storeConfigMap),
            _ =>
            {
                if (!first)
                    onStoreChanged();
                first = false;
            },
            (_, _) => onStoreChanged(),
            cancellationToken);
    }

    private Task Register<T>(WatchedResource<T> resource, Action<IReadOnlyList<T>> onListed, Action<WatchEventType, T> onEvent, CancellationToken cancellationToken)
    {
        lock (_lock)
            _loops.Add(resource.What);
        return resource.ListWatch(settings.Resync, logger).Run(items =>
        {
            lock (_lock)
            {
                onListed(items);
                _listed.Add(resource.What);
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

    private void VirtualServiceChanged(ObjectKey? key)
    {
        if (key is { } changed)
            _changedVirtualServices?.Add(changed);
        else
            _changedVirtualServices = null;
    }

    /// <summary>Run by the settling timer, one at a time: views arrive in the order they were made, as their changes need.</summary>
    private void Publish()
    {
        SourceView view;
        lock (_lock)
        {
            // Until every kind has been listed once, a view would be partial: publish nothing.
            if (!_everyLoopRegistered || !_loops.All(_listed.Contains))
                return;
            view = new SourceView([.. _virtualServices.Values], [.. _gateways.Values], _readiness.Of(_services, _slices.Values), _undecodable.Count == 0)
            {
                GatewayApi = GatewayApiView(),
                ChangedVirtualServices = _changedVirtualServices?.ToDictionary(k => k, k => (VirtualService?)_virtualServices.GetValueOrDefault(k)),
            };
            _changedVirtualServices = [];
        }
        _onView(view);
    }

    private (ObjectKey Key, T Value)? Decoded<T>(string plural, JsonElement item, Dictionary<ObjectKey, T> cache, Func<JsonElement, T> decode, Func<ObjectKey, ObjectKey?> claimer)
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
            if (claimer(key) is { } reported)
                onInvalid?.Invoke(error, reported);
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
}
