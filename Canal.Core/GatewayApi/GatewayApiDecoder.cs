using System.Text.Json;
using Canal.Istio;
using static Canal.Istio.JsonFields;

namespace Canal.GatewayApi;

/// <summary>
/// Decodes Gateway API objects (and Namespaces, for their labels) into <see cref="GatewayApiObjects"/>, filling in the
/// defaults the API server's CRDs would (group, kind, namespace, allowedRoutes). A field of the wrong shape is an error naming its path.
/// </summary>
public static class GatewayApiDecoder
{
    /// <summary>The versions read, newest first: TLSRoute and TCPRoute went v1 in Gateway API 1.5 and 1.6.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Versions = new Dictionary<string, IReadOnlyList<string>>
    {
        ["Gateway"] = ["v1", "v1beta1"],
        ["HTTPRoute"] = ["v1", "v1beta1"],
        ["GRPCRoute"] = ["v1"],
        ["TLSRoute"] = ["v1", "v1alpha3", "v1alpha2"],
        ["TCPRoute"] = ["v1", "v1alpha2"],
        ["ReferenceGrant"] = ["v1", "v1beta1"],
    };

    /// <summary>The objects of one document of <paramref name="kind"/>, or null when it is not a kind read here.</summary>
    public static GatewayApiObjects? Decode(string group, string version, string kind, JsonElement document, string prefix)
    {
        if (group == "" && version == "v1" && kind == "Namespace")
            return GatewayApiObjects.Empty with { NamespaceLabels = new Dictionary<string, IReadOnlyDictionary<string, string>> { [ManifestDecoder.Metadata(document, prefix, out _, out _).Name] = Labels(document, prefix) } };
        if (group != GatewayApiGroup.Name || !Versions.TryGetValue(kind, out var versions))
            return null;
        if (!versions.Contains(version))
            throw new ManifestFieldException(Path(prefix, "apiVersion"), $"{group}/{version} {kind} is not supported; use {string.Join(", ", versions.Select(v => $"{group}/{v}"))}");
        return kind switch
        {
            "Gateway" => GatewayApiObjects.Empty with { Gateways = [DecodeGateway(document, prefix)] },
            "ReferenceGrant" => GatewayApiObjects.Empty with { Grants = [DecodeGrant(document, prefix)] },
            _ => GatewayApiObjects.Empty with { Routes = [DecodeRoute(Enum.Parse<ApiRouteKind>(kind), document, prefix)] },
        };
    }

    public static ApiGateway DecodeGateway(JsonElement gateway, string prefix = "")
    {
        var (key, spec, specPath) = ManifestDecoder.KeyAndSpec(gateway, prefix, out _, out _, specRequired: true);
        var addresses = Items(spec, "addresses", specPath)
            .Select(a => new GatewayAddress(OptionalString(a.Item, "type", a.Path) ?? "IPAddress", RequiredString(a.Item, "value", a.Path)))
            .ToList();
        var listeners = Items(spec, "listeners", specPath).Select(l => Listener(l.Item, l.Path)).ToList();
        return new ApiGateway(key, RequiredString(spec, "gatewayClassName", specPath), addresses, listeners);
    }

    private static Listener Listener(JsonElement listener, string path)
    {
        var port = OptionalInt(listener, "port", path) ?? throw new ManifestFieldException(Path(path, "port"), "is required");
        var tls = OptionalObject(listener, "tls", path);
        var allowed = OptionalObject(listener, "allowedRoutes", path) is { } a ? AllowedRoutes(a, Path(path, "allowedRoutes")) : GatewayApi.AllowedRoutes.Default;
        return new Listener(RequiredString(listener, "name", path), port, RequiredString(listener, "protocol", path), OptionalString(listener, "hostname", path),
            tls is { } t ? OptionalString(t, "mode", Path(path, "tls")) ?? "Terminate" : null, allowed);
    }

    private static AllowedRoutes AllowedRoutes(JsonElement allowed, string path)
    {
        var namespaces = OptionalObject(allowed, "namespaces", path);
        var namespacesPath = Path(path, "namespaces");
        var from = namespaces is { } n ? OptionalString(n, "from", namespacesPath) ?? "Same" : "Same";
        var selector = namespaces is { } s && OptionalObject(s, "selector", namespacesPath) is { } sel ? Selector(sel, Path(namespacesPath, "selector")) : null;
        var kinds = Items(allowed, "kinds", path)
            .Select(k => new RouteGroupKind(OptionalString(k.Item, "group", k.Path) ?? GatewayApiGroup.Name, RequiredString(k.Item, "kind", k.Path)))
            .ToList();
        return new AllowedRoutes(from, selector, kinds);
    }

    private static LabelSelector Selector(JsonElement selector, string path) => new(
        StringMap(selector, "matchLabels", path),
        [.. Items(selector, "matchExpressions", path).Select(e => new LabelExpression(RequiredString(e.Item, "key", e.Path), RequiredString(e.Item, "operator", e.Path), StringArray(e.Item, "values", e.Path)))]);

    public static ApiRoute DecodeRoute(ApiRouteKind kind, JsonElement route, string prefix = "")
    {
        var (key, spec, specPath) = ManifestDecoder.KeyAndSpec(route, prefix, out _, out _, specRequired: true);
        var parents = Items(spec, "parentRefs", specPath).Select(p => new ParentRef(
            OptionalString(p.Item, "group", p.Path) ?? GatewayApiGroup.Name,
            OptionalString(p.Item, "kind", p.Path) ?? "Gateway",
            OptionalString(p.Item, "namespace", p.Path),
            RequiredString(p.Item, "name", p.Path),
            OptionalString(p.Item, "sectionName", p.Path),
            OptionalInt(p.Item, "port", p.Path))).ToList();
        // Mirrored requests are copies whose answers nobody reads: as with VirtualServices, only backendRefs count.
        var rules = Items(spec, "rules", specPath).Select(rule => new ApiRule(
            rule.Path,
            Matches(kind, rule.Item, rule.Path),
            [.. Items(rule.Item, "backendRefs", rule.Path).Select(b => new BackendRef(
                OptionalString(b.Item, "group", b.Path) ?? "",
                OptionalString(b.Item, "kind", b.Path) ?? "Service",
                RequiredString(b.Item, "name", b.Path),
                OptionalString(b.Item, "namespace", b.Path),
                OptionalInt(b.Item, "port", b.Path),
                b.Path) { Weight = OptionalInt(b.Item, "weight", b.Path) ?? 1 })],
            Redirect(rule.Item, rule.Path))).ToList();
        var hostnames = kind == ApiRouteKind.TCPRoute ? [] : StringArray(spec, "hostnames", specPath);
        return new ApiRoute(kind, key, hostnames, parents, [.. rules.SelectMany(r => r.Backends)])
        {
            Rules = rules,
            Created = ManifestDecoder.Created(route, prefix),
        };
    }

    /// <summary>A rule's matches; an HTTPRoute rule without any has the CRD's default, one match of <c>PathPrefix /</c>.</summary>
    private static IReadOnlyList<ApiMatch> Matches(ApiRouteKind kind, JsonElement rule, string path)
    {
        var matches = Items(rule, "matches", path).Select(m => Match(kind, m.Item, m.Path)).ToList();
        return matches.Count == 0 && kind == ApiRouteKind.HTTPRoute ? [new ApiMatch(null, new MatchRank(2, 1, false, 0, 0))] : matches;
    }

    /// <summary>
    /// An HTTPRoute or GRPCRoute match: the requests it takes, in the words VirtualService matches are described with,
    /// and its precedence. A path left out is the CRD's default, <c>PathPrefix /</c>; a gRPC method is the path istiod makes of it.
    /// </summary>
    private static ApiMatch Match(ApiRouteKind kind, JsonElement match, string path)
    {
        var parts = new List<string?>();
        (string Kind, string Value) uri = ("prefix", "/");
        var method = false;
        if (kind == ApiRouteKind.GRPCRoute)
        {
            if (OptionalObject(match, "method", path) is { } grpc)
            {
                var methodPath = Path(path, "method");
                var service = OptionalString(grpc, "service", methodPath);
                var name = OptionalString(grpc, "method", methodPath);
                uri = (service, name) switch
                {
                    ({ } sv, { } m) => ("exact", $"/{sv}/{m}"),
                    ({ } sv, null) => ("prefix", $"/{sv}/"),
                    (null, { } m) => ("regex", $"/[^/]+/{m}"),
                    _ => uri,
                };
            }
        }
        else
        {
            if (OptionalObject(match, "path", path) is { } p)
            {
                var pathPath = Path(path, "path");
                var value = OptionalString(p, "value", pathPath) ?? "/";
                uri = (OptionalString(p, "type", pathPath) ?? "PathPrefix") switch
                {
                    "Exact" => ("exact", value),
                    "PathPrefix" => ("prefix", value),
                    "RegularExpression" => ("regex", value),
                    var other => throw new ManifestFieldException(Path(pathPath, "type"), $"{HostName.Quote(other)} is not a path match type (Exact, PathPrefix, RegularExpression)"),
                };
            }
            if (OptionalString(match, "method", path) is { } verb)
            {
                parts.Add($"method exact {verb}");
                method = true;
            }
        }
        if (!RequestConditions.EveryPath(uri.Kind, uri.Value))
            parts.Insert(0, $"uri {uri.Kind} {uri.Value}");
        var headers = Named(match, "headers", "header", path);
        var queries = Named(match, "queryParams", "query", path);
        parts.AddRange(headers);
        parts.AddRange(queries);
        var rank = new MatchRank(uri.Kind switch { "exact" => 3, "prefix" => 2, _ => 1 }, uri.Value.Length, method, headers.Count, queries.Count);
        return new ApiMatch(RequestConditions.Join(parts), rank);
    }

    private static List<string> Named(JsonElement match, string field, string label, string path) =>
        [.. Items(match, field, path).Select(h => $"{label} {RequiredString(h.Item, "name", h.Path)} {((OptionalString(h.Item, "type", h.Path) ?? "Exact") == "Exact" ? "exact" : "regex")} {RequiredString(h.Item, "value", h.Path)}")];

    /// <summary>What a rule's <c>RequestRedirect</c> filter answers (null without one).</summary>
    private static string? Redirect(JsonElement rule, string path)
    {
        foreach (var (filter, filterPath) in Items(rule, "filters", path))
        {
            if (OptionalString(filter, "type", filterPath) != "RequestRedirect" || OptionalObject(filter, "requestRedirect", filterPath) is not { } redirect)
                continue;
            var redirectPath = Path(filterPath, "requestRedirect");
            var target = string.Concat(
                OptionalString(redirect, "scheme", redirectPath) is { } scheme ? $"{scheme}://" : "",
                OptionalString(redirect, "hostname", redirectPath),
                OptionalInt(redirect, "port", redirectPath) is { } port ? $":{port}" : "");
            return $"answers {OptionalInt(redirect, "statusCode", redirectPath) ?? 302} redirecting{(target.Length == 0 ? "" : $" to {target}")}";
        }
        return null;
    }

    public static ReferenceGrant DecodeGrant(JsonElement grant, string prefix = "")
    {
        var (key, spec, specPath) = ManifestDecoder.KeyAndSpec(grant, prefix, out _, out _, specRequired: true);
        return new ReferenceGrant(key,
            [.. Items(spec, "from", specPath).Select(f => new GrantFrom(RequiredGroup(f.Item, f.Path), RequiredString(f.Item, "kind", f.Path), RequiredString(f.Item, "namespace", f.Path)))],
            [.. Items(spec, "to", specPath).Select(t => new GrantTo(RequiredGroup(t.Item, t.Path), RequiredString(t.Item, "kind", t.Path), OptionalString(t.Item, "name", t.Path)))]);
    }

    /// <summary>A group is required but may be "" (the core group).</summary>
    private static string RequiredGroup(JsonElement obj, string path) =>
        OptionalString(obj, "group", path) ?? throw new ManifestFieldException(Path(path, "group"), "is required (\"\" for the core group)");

    private static IReadOnlyDictionary<string, string> Labels(JsonElement obj, string prefix) =>
        StringMap(Object(obj, "metadata", prefix, required: true), "labels", Path(prefix, "metadata"));
}
