using System.Text.Json;
using Canal.Istio;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>One kind of object as a list-watch needs it: how to list a page of it, and how to watch it from a resourceVersion.</summary>
internal sealed record WatchedResource<T>(string What, ListWatch<T>.ListPage List, ListWatch<T>.WatchFrom Watch, Func<T, string?> ResourceVersionOf)
{
    public ListWatch<T> ListWatch(TimeSpan resync, ILogger logger) => new(What, List, Watch, ResourceVersionOf, resync, logger);
}

/// <summary>Every kind Canal watches, in one namespace or all of them (null).</summary>
internal static class WatchedResources
{
    private const int PageSize = ListWatch<object>.PageSize;

    /// <summary>A custom kind (Istio's, the Gateway API's), read as JSON so that every served version decodes the same way.</summary>
    /// <param name="what">How logs name it: the plural, qualified when another group has the same one (<c>gateways.gateway.networking.k8s.io</c>).</param>
    public static WatchedResource<JsonElement> Custom(IKubernetes client, KubernetesSettings settings, string group, string version, string plural, string what, string? ns) => new(
        $"{what}{At(ns)}",
        async (next, ct) =>
        {
            var page = (JsonElement)(ns == null
                ? await client.CustomObjects.ListClusterCustomObjectAsync(group, version, plural, continueParameter: next, limit: PageSize, cancellationToken: ct)
                : await client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, ns, plural, continueParameter: next, limit: PageSize, cancellationToken: ct));
            var metadata = page.GetProperty("metadata");
            return ([.. page.GetProperty("items").EnumerateArray()],
                metadata.GetProperty("resourceVersion").GetString() ?? "",
                metadata.TryGetProperty("continue", out var c) ? c.GetString() : null);
        },
        (resourceVersion, onError, ct) => AsJson(ns == null
            ? client.CustomObjects.WatchListClusterCustomObjectAsync(group, version, plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
            : client.CustomObjects.WatchListNamespacedCustomObjectAsync(group, version, ns, plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct)),
        e => e.TryGetProperty("metadata", out var m) && m.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null);

    /// <summary>Namespaces, for their labels (a listener's namespace selector).</summary>
    public static WatchedResource<V1Namespace> Namespaces(IKubernetes client, KubernetesSettings settings) => Typed<V1NamespaceList, V1Namespace>(
        "namespaces",
        (next, ct) => client.CoreV1.ListNamespaceAsync(continueParameter: next, limit: PageSize, cancellationToken: ct),
        (resourceVersion, onError, ct) => client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct));

    public static WatchedResource<V1Service> Services(IKubernetes client, KubernetesSettings settings) => Typed<V1ServiceList, V1Service>(
        "services",
        (next, ct) => client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct),
        (resourceVersion, onError, ct) => client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct));

    public static WatchedResource<V1EndpointSlice> EndpointSlices(IKubernetes client, KubernetesSettings settings, string? ns) => Typed<V1EndpointSliceList, V1EndpointSlice>(
        $"endpointslices{At(ns)}",
        (next, ct) => ns == null
            ? client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct)
            : client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, continueParameter: next, limit: PageSize, cancellationToken: ct),
        (resourceVersion, onError, ct) => ns == null
            ? client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
            : client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(ns, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct));

    /// <summary>The one ConfigMap Canal writes (a field selector on its name).</summary>
    public static WatchedResource<V1ConfigMap> ConfigMap(IKubernetes client, KubernetesSettings settings, string name) => Typed<V1ConfigMapList, V1ConfigMap>(
        "configmap " + name,
        (next, ct) => client.CoreV1.ListNamespacedConfigMapAsync(settings.CoreDnsNamespace, fieldSelector: $"metadata.name={name}", continueParameter: next, limit: PageSize, cancellationToken: ct),
        (resourceVersion, onError, ct) => client.CoreV1.WatchListNamespacedConfigMapAsync(settings.CoreDnsNamespace, fieldSelector: $"metadata.name={name}", allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: settings.WatchTimeoutSeconds, onError: onError, cancellationToken: ct));

    /// <summary>One watch per listed namespace, or one cluster-wide watch (null) when none are listed.</summary>
    public static IEnumerable<string?> Scope(IReadOnlyList<string> namespaces) => namespaces.Count == 0 ? [null] : namespaces.Select(n => (string?)n);

    private static WatchedResource<T> Typed<TList, T>(string what, Func<string?, CancellationToken, Task<TList>> list, ListWatch<T>.WatchFrom watch)
        where TList : IMetadata<V1ListMeta>, IItems<T>
        where T : IMetadata<V1ObjectMeta> => new(
        what,
        async (next, ct) =>
        {
            var page = await list(next, ct);
            return ([.. page.Items], page.Metadata.ResourceVersion, page.Metadata.ContinueProperty);
        },
        watch,
        o => o.Metadata?.ResourceVersion);

    private static string At(string? ns) => ns == null ? "" : $" in {ns}";

    private static async IAsyncEnumerable<(WatchEventType, JsonElement)> AsJson(IAsyncEnumerable<(WatchEventType, object)> events)
    {
        await foreach (var (type, obj) in events)
            yield return (type, (JsonElement)obj);
    }
}
