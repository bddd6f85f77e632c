using Canal.Istio;

namespace Canal.GatewayApi;

/// <summary>A backend as a host to redirect (<paramref name="Service"/> and its port), or why it is not one.</summary>
public sealed record ResolvedBackend(BackendRef Backend, ObjectKey? Service, string? SkipReason);

/// <summary>
/// Which backendRefs are Services Canal may redirect: the default kind (group "", kind Service) with a port, in the
/// route's namespace or in one whose ReferenceGrant lets routes of that kind from the route's namespace refer to it.
/// </summary>
public static class BackendResolution
{
    public static ResolvedBackend Resolve(ApiRoute route, BackendRef backend, IEnumerable<ReferenceGrant> grants)
    {
        if (backend.Group != "" || backend.Kind != "Service")
            return Skip(backend, $"a backend of kind {Qualified(backend.Group, backend.Kind)} is not a Service: Canal redirects Service names only");
        if (backend.Name.Contains('.'))
            return Skip(backend, $"{HostName.Quote(backend.Name)} is not a Service name (Istio refuses it too)");
        if (backend.Port == null)
            return Skip(backend, "a Service backend needs a port");
        var ns = backend.Namespace ?? route.Key.Namespace;
        if (ns != route.Key.Namespace && !grants.Any(g => Permits(g, route, ns, backend.Name)))
            return Skip(backend,
                $"no ReferenceGrant in namespace {ns} lets {route.Kind}s of namespace {route.Key.Namespace} refer to Service {backend.Name} (RefNotPermitted)");
        return new ResolvedBackend(backend, new ObjectKey(ns, backend.Name), null);
    }

    private static bool Permits(ReferenceGrant grant, ApiRoute route, string ns, string service) =>
        grant.Key.Namespace == ns
        && grant.From.Any(f => f.Group == GatewayApiGroup.Name && f.Kind == route.Kind.ToString() && f.Namespace == route.Key.Namespace)
        && grant.To.Any(t => t.Group == "" && t.Kind == "Service" && (t.Name == null || t.Name == service));

    private static ResolvedBackend Skip(BackendRef backend, string reason) => new(backend, null, reason);

    private static string Qualified(string group, string kind) => group.Length == 0 ? kind : $"{kind}.{group}";
}
