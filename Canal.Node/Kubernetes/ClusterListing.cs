using System.Net;
using System.Text.Json;
using Canal.GatewayApi;
using Canal.Istio;
using Canal.Reading;
using k8s;
using k8s.Autorest;
using static Canal.Node.Kubernetes.KubernetesObjects;

namespace Canal.Node.Kubernetes;

/// <summary>A cluster that cannot be read for <c>canal render --kubeconfig</c>: the message says which call failed and what to do.</summary>
internal sealed class ClusterUnreadableException(string message) : Exception(message);

/// <summary>
/// What <c>canal run</c> reads of a cluster, read once for <c>canal render --kubeconfig</c>: the same discovery and the same
/// list calls (so the same RBAC), every page of each, and the DNS store's content; it never writes. An object that does
/// not decode is an error of its own, as a manifest file's would be; the rest is still used.
/// </summary>
internal static class ClusterListing
{
    /// <summary>How long one call may take before the cluster is taken as not answering.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static async Task<(Manifests Objects, IReadOnlyList<string> Notes)> ReadAsync(IKubernetes client, KubernetesSettings settings, CancellationToken cancellationToken)
    {
        var groups = await Call("API discovery (/apis)", ct => client.Apis.GetAPIVersionsAsync(ct), cancellationToken);
        var version = KubernetesSource.IstioVersionOf(groups)
            ?? throw new ClusterUnreadableException($"the API server does not serve {ManifestDecoder.IstioGroup}: Istio's CRDs are not installed (install Istio, then render again)");

        var errors = new List<ManifestError>();
        var manifests = Manifests.Empty;
        foreach (var ns in WatchedResources.Scope(settings.Namespaces))
            manifests = manifests with { VirtualServices = [.. manifests.VirtualServices, .. await Custom(client, settings, ManifestDecoder.IstioGroup, version, "virtualservices", ns, e => ManifestDecoder.DecodeVirtualService(e), errors, cancellationToken)] };
        foreach (var ns in WatchedResources.Scope(settings.GatewayNamespaces))
            manifests = manifests with { Gateways = [.. manifests.Gateways, .. await Custom(client, settings, ManifestDecoder.IstioGroup, version, "gateways", ns, e => ManifestDecoder.DecodeGateway(e), errors, cancellationToken)] };
        manifests = manifests with { Services = [.. (await All(WatchedResources.Services(client, settings), cancellationToken)).Select(ToClusterService)] };

        var notes = new List<string>();
        var apiVersions = await KubernetesSource.ServedVersions(client, groups, cancellationToken);
        if (GatewayApiDecoder.Versions.Keys.Where(k => !apiVersions.ContainsKey(k)).ToList() is { Count: > 0 } missing)
            notes.Add($"the API server does not serve {string.Join(", ", missing)} of {GatewayApiGroup.Name} (Gateway API CRDs not installed, or not readable): not read");
        manifests = manifests with { GatewayApi = await GatewayApi(client, settings, apiVersions, errors, notes, cancellationToken) };
        return (manifests with { Errors = errors }, notes);
    }

    /// <summary>Runs one API call; a failure becomes the one line that says which call and what to do.</summary>
    public static async Task<T> Call<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            return await call(timeout.Token);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new ClusterUnreadableException($"{what}: the API server refused the kubeconfig's credentials (401 Unauthorized); check --kubeconfig and --context");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new ClusterUnreadableException($"{what}: refused (403 Forbidden); the kubeconfig's identity needs the read permissions canal run has (get, list and watch in k8s/base/rbac.yaml)");
        }
        catch (HttpOperationException e)
        {
            throw new ClusterUnreadableException($"{what}: the API server answered {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}");
        }
        catch (HttpRequestException e)
        {
            throw new ClusterUnreadableException($"{what}: cannot reach the API server ({e.Message}); check --kubeconfig and --context, and that the cluster is up");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnreadableException($"{what}: the API server did not answer within {CallTimeout.TotalSeconds:0} s; check --kubeconfig and --context, and that the cluster is up");
        }
    }

    private static async Task<List<T>> All<T>(WatchedResource<T> resource, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? next = null;
        do
        {
            var page = await Call($"listing {resource.What}", ct => resource.List(next, ct), cancellationToken);
            items.AddRange(page.Items);
            next = page.Continue;
        }
        while (!string.IsNullOrEmpty(next));
        return items;
    }

    private static async Task<List<T>> Custom<T>(IKubernetes client, KubernetesSettings settings, string group, string version, string plural, string? ns,
        Func<JsonElement, T> decode, List<ManifestError> errors, CancellationToken cancellationToken)
    {
        var what = group == ManifestDecoder.IstioGroup ? plural : $"{plural}.{group}";
        var decoded = new List<T>();
        foreach (var item in await All(WatchedResources.Custom(client, settings, group, version, plural, what, ns), cancellationToken))
        {
            try
            {
                decoded.Add(decode(item));
            }
            catch (ManifestFieldException e)
            {
                errors.Add(new ManifestError($"{what} {KeyOf(item)}", null, e.Field, e.Message));
            }
        }
        return decoded;
    }

    private static async Task<GatewayApiObjects> GatewayApi(IKubernetes client, KubernetesSettings settings, IReadOnlyDictionary<string, string> versions,
        List<ManifestError> errors, List<string> notes, CancellationToken cancellationToken)
    {
        var objects = GatewayApiObjects.Empty;
        if (versions.Count == 0)
            return objects;
        Task<List<T>> Read<T>(string kind, string? ns, Func<JsonElement, T> decode) =>
            Custom(client, settings, GatewayApiGroup.Name, versions[kind], KubernetesSource.Plural(kind), ns, decode, errors, cancellationToken);

        if (versions.ContainsKey("Gateway"))
        {
            foreach (var ns in WatchedResources.Scope(settings.GatewayNamespaces))
                objects = objects with { Gateways = [.. objects.Gateways, .. await Read("Gateway", ns, e => GatewayApiDecoder.DecodeGateway(e))] };
        }
        foreach (var kind in Enum.GetValues<ApiRouteKind>().Where(k => versions.ContainsKey(k.ToString())))
        {
            foreach (var ns in WatchedResources.Scope(settings.Namespaces))
                objects = objects with { Routes = [.. objects.Routes, .. await Read(kind.ToString(), ns, e => GatewayApiDecoder.DecodeRoute(kind, e))] };
        }
        if (versions.ContainsKey("ReferenceGrant"))
            objects = objects with { Grants = await Read("ReferenceGrant", null, e => GatewayApiDecoder.DecodeGrant(e)) };
        try
        {
            var namespaces = await All(WatchedResources.Namespaces(client, settings), cancellationToken);
            objects = objects with { NamespaceLabels = namespaces.ToDictionary(n => n.Metadata.Name, Labels) };
        }
        catch (ClusterUnreadableException e)
        {
            // As canal run: without them a listener's namespace selector sees only each namespace's name label.
            notes.Add($"{e.Message}: listeners' namespace selectors see only each namespace's name label");
        }
        return objects;
    }
}
