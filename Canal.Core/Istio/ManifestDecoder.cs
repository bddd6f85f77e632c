using System.Text.Json;
using static Canal.Istio.JsonFields;

namespace Canal.Istio;

/// <summary>
/// Decodes one Istio VirtualService or Gateway, or a Service (from a file or the API), into Canal's model. Unknown
/// fields are ignored; a field of the wrong shape is an error naming its path.
/// </summary>
public static class ManifestDecoder
{
    public const string IstioGroup = "networking.istio.io";
    public static readonly IReadOnlyList<string> IstioVersions = ["v1", "v1beta1", "v1alpha3"];
    private const string DefaultNamespace = "default";

    public static VirtualService DecodeVirtualService(JsonElement vs, string prefix = "")
    {
        var (key, spec, specPath) = KeyAndSpec(vs, prefix, out var resourceVersion, out var generation);
        var created = Created(vs, prefix);
        var routes = new List<Route>();

        foreach (var (routeKind, kind) in new[] { ("http", RouteKind.Http), ("tcp", RouteKind.Tcp), ("tls", RouteKind.Tls) })
        {
            foreach (var (route, routePath) in Items(spec, routeKind, specPath))
            {
                if (route.ValueKind != JsonValueKind.Object)
                    throw new ManifestFieldException(routePath, $"expected an object, found {Describe(route)}");
                ObjectKey? delegateTo = null;
                if (kind == RouteKind.Http && OptionalObject(route, "delegate", routePath) is { } delegation)
                {
                    var delegatePath = routePath + ".delegate";
                    var name = RequiredString(delegation, "name", delegatePath);
                    delegateTo = new ObjectKey(OptionalString(delegation, "namespace", delegatePath) ?? key.Namespace, name);
                }
                var matches = new List<RouteMatch>();
                foreach (var (match, matchPath) in Items(route, "match", routePath))
                    matches.Add(DecodeMatch(match, matchPath, kind));
                var destinations = new List<RouteDestination>();
                foreach (var (weighted, weightedPath) in Items(route, "route", routePath))
                {
                    var destination = Object(weighted, "destination", weightedPath, required: true);
                    var destinationPath = weightedPath + ".destination";
                    var host = RequiredString(destination, "host", destinationPath);
                    int? port = OptionalObject(destination, "port", destinationPath) is { } p
                        ? OptionalInt(p, "number", destinationPath + ".port")
                        : null;
                    destinations.Add(new RouteDestination(host, port, destinationPath + ".host") { Weight = OptionalInt(weighted, "weight", weightedPath) });
                }
                routes.Add(new Route(kind, routePath, matches, destinations, delegateTo) { Answer = kind == RouteKind.Http ? Answer(route, routePath) : null });
            }
        }
        return new VirtualService(
            key, resourceVersion, generation,
            StringArray(spec, "hosts", specPath), StringArray(spec, "gateways", specPath), StringArray(spec, "exportTo", specPath), routes)
        { Created = created };
    }

    /// <summary>What an http route answers itself: a <c>redirect</c> or a <c>directResponse</c> (which wins over any <c>route</c>).</summary>
    private static string? Answer(JsonElement route, string path)
    {
        if (OptionalObject(route, "directResponse", path) is { } direct)
            return $"answers {OptionalInt(direct, "status", Path(path, "directResponse")) ?? 200} itself (directResponse)";
        if (OptionalObject(route, "redirect", path) is { } redirect)
        {
            var redirectPath = Path(path, "redirect");
            var target = string.Concat(
                OptionalString(redirect, "scheme", redirectPath) is { } scheme ? $"{scheme}://" : "",
                OptionalString(redirect, "authority", redirectPath),
                OptionalString(redirect, "uri", redirectPath));
            return $"answers {OptionalInt(redirect, "redirectCode", redirectPath) ?? 301} redirecting{(target.Length == 0 ? "" : $" to {target}")}";
        }
        return null;
    }

    /// <summary>An http, tcp or tls match: where the route applies (gateways, port, clients) and, for http, which requests it takes.</summary>
    private static RouteMatch DecodeMatch(JsonElement match, string path, RouteKind kind)
    {
        if (match.ValueKind != JsonValueKind.Object)
            throw new ManifestFieldException(path, $"expected an object, found {Describe(match)}");
        // Client workloads (sourceLabels, sourceNamespace) and destination subnets narrow a route to some clients.
        var sourceScoped = StringMap(match, "sourceLabels", path).Count > 0
            || OptionalString(match, "sourceNamespace", path) is { Length: > 0 }
            || StringArray(match, "destinationSubnets", path).Count > 0;
        return new RouteMatch(StringArray(match, "gateways", path), OptionalInt(match, "port", path), sourceScoped, StringArray(match, "sniHosts", path))
        {
            Request = kind == RouteKind.Http ? RequestConditions.Of(match, path) : null,
        };
    }

    /// <summary><c>metadata.creationTimestamp</c>, an RFC 3339 time; null when absent.</summary>
    internal static DateTimeOffset? Created(JsonElement obj, string prefix)
    {
        var path = Path(prefix, "metadata");
        if (OptionalString(Object(obj, "metadata", prefix, required: true), "creationTimestamp", path) is not { } text)
            return null;
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var created)
            ? created
            : throw new ManifestFieldException(Path(path, "creationTimestamp"), $"expected an RFC 3339 time, found {HostName.Quote(text)}");
    }

    public static Gateway DecodeGateway(JsonElement gateway, string prefix = "")
    {
        var (key, spec, specPath) = KeyAndSpec(gateway, prefix, out _, out _);
        var servers = new List<GatewayServer>();
        foreach (var (server, serverPath) in Items(spec, "servers", specPath))
        {
            var port = Object(server, "port", serverPath, required: true);
            var portPath = serverPath + ".port";
            var number = OptionalInt(port, "number", portPath) ?? throw new ManifestFieldException(portPath + ".number", "is required");
            var tls = OptionalObject(server, "tls", serverPath);
            var tlsPath = serverPath + ".tls";
            servers.Add(new GatewayServer(
                number, OptionalString(port, "protocol", portPath), StringArray(server, "hosts", serverPath),
                // A tls block without a mode is PASSTHROUGH, the enum's zero value (istiod writes `tls: {}` for Gateway API Passthrough listeners).
                tls is { } t ? OptionalString(t, "mode", tlsPath) ?? "PASSTHROUGH" : null,
                tls is { } r && OptionalBool(r, "httpsRedirect", tlsPath)));
        }
        return new Gateway(key, StringMap(spec, "selector", specPath), servers);
    }

    public static ClusterService DecodeService(JsonElement service, string prefix = "")
    {
        var (key, spec, specPath) = KeyAndSpec(service, prefix, out _, out _);
        var ports = new List<ServicePort>();
        foreach (var (port, portPath) in Items(spec, "ports", specPath))
        {
            if (port.ValueKind != JsonValueKind.Object)
                throw new ManifestFieldException(portPath, $"expected an object, found {Describe(port)}");
            var number = OptionalInt(port, "port", portPath) ?? throw new ManifestFieldException(portPath + ".port", "is required");
            ports.Add(new ServicePort(number, OptionalString(port, "name", portPath), OptionalString(port, "protocol", portPath)));
        }
        var clusterIPs = StringArray(spec, "clusterIPs", specPath);
        if (clusterIPs.Count == 0 && OptionalString(spec, "clusterIP", specPath) is { } clusterIP)
            clusterIPs = [clusterIP];
        return new ClusterService(key, StringMap(spec, "selector", specPath), ports, [.. clusterIPs.Where(ip => ip != "None" && ip != "")]);
    }

    /// <summary>An object's key (from its metadata), its spec and the spec's path.</summary>
    internal static (ObjectKey Key, JsonElement Spec, string SpecPath) KeyAndSpec(JsonElement obj, string prefix, out string? resourceVersion, out long generation, bool specRequired = false) =>
        (Metadata(obj, prefix, out resourceVersion, out generation), Object(obj, "spec", prefix, specRequired), Path(prefix, "spec"));

    internal static ObjectKey Metadata(JsonElement obj, string prefix, out string? resourceVersion, out long generation)
    {
        var metadata = Object(obj, "metadata", prefix, required: true);
        var path = Path(prefix, "metadata");
        var name = RequiredString(metadata, "name", path);
        resourceVersion = OptionalString(metadata, "resourceVersion", path);
        generation = OptionalInt(metadata, "generation", path) ?? 0;
        return new ObjectKey(OptionalString(metadata, "namespace", path) ?? DefaultNamespace, name);
    }
}
