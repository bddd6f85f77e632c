using System.Collections.Concurrent;
using k8s.Autorest;
using Canal.Node.Management;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// 401 and 403 answers of the API server, seen for every request of the client it is a handler of: the first of
/// each verb and resource is a warning that names what to grant (or that the credentials are refused), later ones
/// are only counted (<c>canal_api_refused_total</c>), so a missing permission is plain in the log without flooding it.
/// Callers still get their failure, and leave the logging of a refusal to this (<see cref="IsRefusal"/>).
/// </summary>
internal sealed class ApiRefusals(ILogger logger) : DelegatingHandler
{
    /// <summary>The refusals already warned about, by verb, resource (<c>resource.group</c>) and status code.</summary>
    private readonly ConcurrentDictionary<(string Verb, string Resource, int Code), bool> _warned = new();

    /// <summary>True for the failure a 401 or 403 answer becomes, which this handler has already reported.</summary>
    public static bool IsRefusal(Exception e) =>
        e is HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
        {
            // Buffered, so the client can still read the Status for its own exception.
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            Report(request, (int)response.StatusCode, (await response.Content.ReadAsStringAsync(cancellationToken)).Trim());
        }
        return response;
    }

    private void Report(HttpRequestMessage request, int code, string why)
    {
        var (verb, group, resource, ns) = Describe(request.Method.Method, request.RequestUri);
        var qualified = group.Length > 0 ? $"{resource}.{group}" : resource;
        CanalMetrics.ApiRefused.Add(1, CanalMetrics.Tag("verb", verb), CanalMetrics.Tag("resource", qualified), CanalMetrics.Tag("code", code));
        if (!_warned.TryAdd((verb, qualified, code), true))
            return;
        var where = ns != null ? $" in namespace {ns}" : "";
        if (code == 401)
            logger.LogWarning("the API server does not accept Canal's credentials ({Verb} {Resource}{Where}: 401 {Why}); check the ServiceAccount token or the kubeconfig user",
                verb, qualified, where, why);
        else
            logger.LogWarning("the API server refused to {Verb} {Resource}{Where} (403 {Why}); grant the ServiceAccount verb {Verb2} on resource {Resource2} in API group \"{Group}\" (k8s/base/rbac.yaml lists what Canal needs); further refusals are counted in canal_api_refused_total",
                verb, qualified, where, why, verb, resource, group);
    }

    /// <summary>The RBAC verb, group, resource and namespace of an API request, read from its method and path.</summary>
    internal static (string Verb, string Group, string Resource, string? Namespace) Describe(string method, Uri? uri)
    {
        var segments = (uri?.AbsolutePath ?? "").Trim('/').Split('/');
        // /api/v1/... or /apis/GROUP/VERSION/...
        var rest = segments is ["api", _, .. var core] ? core : segments is ["apis", _, _, .. var grouped] ? grouped : [];
        var group = segments is ["apis", var g, ..] ? g : "";
        string? ns = null;
        if (rest is ["namespaces", var n, _, ..])
        {
            ns = n;
            rest = rest[2..];
        }
        var resource = rest.Length > 0 ? rest[0] : "";
        var oneObject = rest.Length > 1;
        var watch = uri?.Query.Contains("watch=true", StringComparison.OrdinalIgnoreCase) == true || uri?.Query.Contains("watch=1", StringComparison.Ordinal) == true;
        var verb = method switch
        {
            "GET" when watch => "watch",
            "GET" => oneObject ? "get" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => method.ToLowerInvariant(),
        };
        return (verb, group, resource, ns);
    }
}
