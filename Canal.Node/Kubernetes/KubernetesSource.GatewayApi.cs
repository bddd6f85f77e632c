using System.Net;
using Canal.GatewayApi;
using Canal.Istio;
using Canal.Pacing;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using static Canal.Node.Kubernetes.KubernetesObjects;

namespace Canal.Node.Kubernetes;

/// <summary>The Gateway API's kinds, at the version the server serves; Namespaces for their labels.</summary>
internal sealed partial class KubernetesSource
{
    /// <summary>The resource name of a Gateway API kind: for all of those Canal reads, the lowercase kind with an s.</summary>
    public static string Plural(string kind) => kind.ToLowerInvariant() + "s";

    private readonly Dictionary<ObjectKey, ApiGateway> _apiGateways = [];
    private readonly Dictionary<ApiRouteKind, Dictionary<ObjectKey, ApiRoute>> _routes = Enum.GetValues<ApiRouteKind>().ToDictionary(k => k, _ => new Dictionary<ObjectKey, ApiRoute>());
    private readonly Dictionary<ObjectKey, ReferenceGrant> _grants = [];
    private readonly Dictionary<ObjectKey, IReadOnlyDictionary<string, string>> _namespaceLabels = [];

    /// <summary>
    /// The version of each Gateway API kind the server serves, the newest Canal reads. A kind it does not serve (CRDs
    /// not installed, TCPRoute only in the experimental channel) is said once and not read: the rest keeps working.
    /// </summary>
    /// <param name="groups">The discovery done at start; a retry discovers again.</param>
    /// <returns>Each kind's version, and whether Canal may list namespaces (for selectors' labels; asked only when some kind is read).</returns>
    private async Task<(IReadOnlyDictionary<string, string> Versions, bool Namespaces)> GatewayApiVersions(V1APIGroupList groups, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var found = await ServedVersions(client, attempt == 1 ? groups : await client.Apis.GetAPIVersionsAsync(cancellationToken), cancellationToken);
                if (found.Count > 0)
                    logger.LogInformation("watching {Kinds}", string.Join(", ", found.Select(f => $"{f.Key} {GatewayApiGroup.Name}/{f.Value}")));
                if (GatewayApiDecoder.Versions.Keys.Where(k => !found.ContainsKey(k)).ToList() is { Count: > 0 } missing)
                    logger.LogWarning("the API server does not serve {Kinds} of {Group} to Canal (are the Gateway API CRDs installed? a refused permission is said on its own line): not read; restart Canal after installing them",
                        string.Join(", ", missing), GatewayApiGroup.Name);
                return (found, found.Count > 0 && await Lists(ct => client.CoreV1.ListNamespaceAsync(limit: 1, cancellationToken: ct), cancellationToken));
            }
            // The Gateway API is optional: a server that keeps failing its discovery must not hold up the rest.
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && attempt < 5)
            {
                logger.LogWarning("Gateway API discovery failed ({Error}); retrying", e.Message);
                await Task.Delay(backoff.Next(), cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Gateway API discovery failed {Attempts} times ({Error}); the Gateway API is not read until Canal restarts", attempt, e.Message);
                return (new Dictionary<string, string>(), false);
            }
        }
    }

    /// <summary>Of the Gateway API kinds Canal reads, the newest version of each that <paramref name="groups"/> has and Canal may list.</summary>
    public static async Task<Dictionary<string, string>> ServedVersions(IKubernetes client, V1APIGroupList groups, CancellationToken cancellationToken)
    {
        var served = Versions(groups, GatewayApiGroup.Name);
        var found = new Dictionary<string, string>();
        foreach (var (kind, versions) in GatewayApiDecoder.Versions)
        {
            foreach (var version in versions.Where(served.Contains))
            {
                if (await Serves(client, version, Plural(kind), cancellationToken))
                {
                    found[kind] = version;
                    break;
                }
            }
        }
        return found;
    }

    /// <summary>True when <paramref name="plural"/> is served at <paramref name="version"/> and Canal may list it.</summary>
    private static Task<bool> Serves(IKubernetes client, string version, string plural, CancellationToken cancellationToken) =>
        Lists(ct => client.CustomObjects.ListClusterCustomObjectAsync(GatewayApiGroup.Name, version, plural, limit: 1, cancellationToken: ct), cancellationToken);

    /// <summary>True when the list answers; false when the server does not serve it (404) or Canal may not list it (403).</summary>
    private static async Task<bool> Lists(Func<CancellationToken, Task> list, CancellationToken cancellationToken)
    {
        try
        {
            await list(cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return false;
        }
    }


    private IEnumerable<Task> WatchGatewayApi(IReadOnlyDictionary<string, string> versions, bool namespaces, CancellationToken cancellationToken)
    {
        if (versions.Count == 0)
            yield break;
        if (versions.TryGetValue("Gateway", out var gatewayVersion))
        {
            foreach (var ns in WatchedResources.Scope(settings.GatewayNamespaces))
                yield return KeepGatewayApi(gatewayVersion, "Gateway", ns, _apiGateways, e => GatewayApiDecoder.DecodeGateway(e), _ => null, cancellationToken);
        }
        foreach (var kind in Enum.GetValues<ApiRouteKind>())
        {
            if (!versions.TryGetValue(kind.ToString(), out var version))
                continue;
            foreach (var ns in WatchedResources.Scope(settings.Namespaces))
                yield return KeepGatewayApi(version, kind.ToString(), ns, _routes[kind], e => GatewayApiDecoder.DecodeRoute(kind, e), key => GatewayApiTranslation.KeyOf(kind, key), cancellationToken);
        }
        // Grants live where the backends are, which may be any namespace.
        if (versions.TryGetValue("ReferenceGrant", out var grantVersion))
            yield return KeepGatewayApi(grantVersion, "ReferenceGrant", null, _grants, e => GatewayApiDecoder.DecodeGrant(e), _ => null, cancellationToken);
        // Without them a namespace selector sees only the name label every namespace has.
        if (!namespaces)
        {
            logger.LogWarning("Canal may not list namespaces: listeners' allowedRoutes namespace selectors see only each namespace's name label");
            yield break;
        }
        yield return Keep(WatchedResources.Namespaces(client, settings), _namespaceLabels, null,
            n => (Key(n.Metadata), Labels(n)), cancellationToken, TranslationChanged);
    }

    private Task KeepGatewayApi<T>(string version, string kind, string? ns, Dictionary<ObjectKey, T> cache, Func<System.Text.Json.JsonElement, T> decode,
        Func<ObjectKey, ObjectKey?> claimer, CancellationToken cancellationToken)
    {
        return KeepCustom(GatewayApiGroup.Name, version, Plural(kind), $"{Plural(kind)}.{GatewayApiGroup.Name}", ns, cache, decode, claimer, cancellationToken, TranslationChanged);
    }

    /// <summary>Any translated route may change with a Gateway API object or a namespace's labels: the next view says it does not know what changed.</summary>
    private void TranslationChanged(ObjectKey? _) => _changedVirtualServices = null;

    /// <summary>Called under the lock.</summary>
    private GatewayApiObjects GatewayApiView() => new(
        [.. _apiGateways.Values],
        [.. _routes.Values.SelectMany(r => r.Values)],
        [.. _grants.Values],
        _namespaceLabels.ToDictionary(n => n.Key.Name, n => n.Value));
}
