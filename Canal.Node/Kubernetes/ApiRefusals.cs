using System.Collections.Concurrent;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// 401 and 403 answers of the API server: the first of each verb and resource is a warning that names what to
/// grant (or that the credentials are refused), later ones are only counted (<c>canal_api_refused_total</c>),
/// so a missing permission is plain in the log without flooding it.
/// </summary>
internal static class ApiRefusals
{
    private static readonly ConcurrentDictionary<(string Verb, string Resource, int Code), long> Counts = new();

    /// <summary>Every refusal so far, by verb, resource (<c>resource.group</c>) and status code.</summary>
    public static IReadOnlyDictionary<(string Verb, string Resource, int Code), long> Totals => Counts;

    /// <summary>True when <paramref name="e"/> is a 401 or 403, which is then logged (first time) and counted.</summary>
    public static bool Report(Exception e, ILogger logger)
    {
        if (e is not HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden } refused)
            return false;
        var code = (int)refused.Response.StatusCode;
        var (verb, group, resource, ns) = Describe(refused.Request.Method.Method, refused.Request.RequestUri);
        var qualified = group.Length > 0 ? $"{resource}.{group}" : resource;
        if (Counts.AddOrUpdate((verb, qualified, code), 1, (_, n) => n + 1) > 1)
            return true;
        var where = ns != null ? $" in namespace {ns}" : "";
        var why = refused.Response.Content is { Length: > 0 } content ? content.Trim() : refused.Response.ReasonPhrase;
        if (code == 401)
            logger.LogWarning("the API server does not accept Canal's credentials ({Verb} {Resource}{Where}: 401 {Why}); check the ServiceAccount token or the kubeconfig user",
                verb, qualified, where, why);
        else
            logger.LogWarning("the API server refused to {Verb} {Resource}{Where} (403 {Why}); grant the ServiceAccount verb {Verb2} on resource {Resource2} in API group \"{Group}\" (k8s/base/rbac.yaml lists what Canal needs); further refusals are counted in canal_api_refused_total",
                verb, qualified, where, why, verb, resource, group);
        return true;
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
