using Canal.Istio;

namespace Canal.GatewayApi;

/// <summary>What Canal reads of the Gateway API: Gateways, routes of every kind, ReferenceGrants, and the labels of namespaces (for selectors).</summary>
public sealed record GatewayApiObjects(
    IReadOnlyList<ApiGateway> Gateways,
    IReadOnlyList<ApiRoute> Routes,
    IReadOnlyList<ReferenceGrant> Grants,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> NamespaceLabels)
{
    public static readonly GatewayApiObjects Empty = new([], [], [], new Dictionary<string, IReadOnlyDictionary<string, string>>());

    public bool IsEmpty => Gateways.Count == 0 && Routes.Count == 0;

    public GatewayApiObjects Concat(GatewayApiObjects other) => new(
        [.. Gateways, .. other.Gateways],
        [.. Routes, .. other.Routes],
        [.. Grants, .. other.Grants],
        NamespaceLabels.Concat(other.NamespaceLabels).GroupBy(n => n.Key).ToDictionary(g => g.Key, g => g.Last().Value));
}

/// <summary>Why a Gateway or a route gives no host to redirect (a skipped backend is a skipped host of its route); <paramref name="Kind"/> is the object's (Gateway, HTTPRoute, …).</summary>
public sealed record ApiProblem(string Kind, ObjectKey Object, string Path, string Reason);

/// <summary>The Gateway API in Canal's model: canal gateways as <see cref="Gateway"/>s, attached routes as <see cref="VirtualService"/>s.</summary>
public sealed record Translation(IReadOnlyList<Gateway> Gateways, IReadOnlyList<VirtualService> VirtualServices, IReadOnlyList<ApiProblem> Problems);

/// <summary>
/// Turns the Gateway API into what Canal already decides on, as istiod itself turns it into Istio config: a Gateway of a
/// canal class becomes a Gateway whose DNS target is the Service of its deployment, and a route becomes a VirtualService
/// (named <c>Kind:name</c>, which no Kubernetes object can be) whose routes send each backend to the listeners that accept
/// the route. The Gateway API's rules (<see cref="RouteAttachment"/>, <see cref="BackendResolution"/>) are applied here,
/// so the rest of the pipeline (reference counting, the port guard, readiness) applies to routes unchanged.
/// </summary>
public static partial class GatewayApiTranslation
{
    /// <param name="cache">Keeps each route's translation between calls (the source's, which translates every view); null translates everything.</param>
    public static Translation Translate(GatewayApiObjects objects, RedirectOptions options, TranslationCache? cache = null)
    {
        var problems = new List<ApiProblem>();
        var canal = new Dictionary<ObjectKey, ApiGateway>();
        var gateways = new List<Gateway>();
        foreach (var gateway in objects.Gateways.Where(g => options.GatewayClasses.Contains(g.ClassName)).OrderBy(g => g.Key))
        {
            if (Target(gateway, options.ClusterDomain, out var reason) is not { } target)
            {
                problems.Add(new ApiProblem("Gateway", gateway.Key, "spec.addresses", reason));
                continue;
            }
            canal[gateway.Key] = gateway;
            gateways.Add(new Gateway(KeyOf(gateway.Key), new Dictionary<string, string>(), [.. gateway.Listeners.Select(Server)]) { DnsTarget = target });
        }
        cache?.Begin(objects, options);
        var virtualServices = new List<VirtualService>();
        foreach (var route in objects.Routes.OrderBy(r => r.Kind).ThenBy(r => r.Key))
        {
            var (vs, routeProblems) = cache?.Of(route, canal, objects) ?? Translate(route, [.. ParentsOf(route, canal)], objects, options);
            problems.AddRange(routeProblems);
            if (vs != null)
                virtualServices.Add(vs);
        }
        cache?.End();
        return new Translation(gateways, virtualServices, problems);
    }

    /// <summary>Istio's own VirtualServices and Gateways with what <paramref name="objects"/> translate into, and what could not be.</summary>
    public static Translation With(IReadOnlyList<VirtualService> virtualServices, IReadOnlyList<Gateway> gateways, GatewayApiObjects objects, RedirectOptions options,
        TranslationCache? cache = null)
    {
        if (objects.IsEmpty)
            return new Translation(gateways, virtualServices, []);
        var translated = Translate(objects, options, cache);
        return new Translation([.. gateways, .. translated.Gateways], [.. virtualServices, .. translated.VirtualServices], translated.Problems);
    }

    /// <summary>The canal gateway each of a route's parents names, in order (null for a parent that is not one: another class, a Service for the mesh): what its translation depends on of the Gateways.</summary>
    internal static IEnumerable<ApiGateway?> ParentsOf(ApiRoute route, IReadOnlyDictionary<ObjectKey, ApiGateway> canal) =>
        route.Parents.Select(p => RouteAttachment.NamesAGateway(p) && canal.TryGetValue(new ObjectKey(p.Namespace ?? route.Key.Namespace, p.Name), out var g) ? g : null);

    /// <summary>The key of the Gateway a Gateway API Gateway becomes: <c>Gateway:name</c>, apart from any Istio Gateway.</summary>
    public static ObjectKey KeyOf(ObjectKey gateway) => new(gateway.Namespace, $"Gateway:{gateway.Name}");

    /// <summary>The key of the VirtualService a route becomes: <c>HTTPRoute:name</c>.</summary>
    public static ObjectKey KeyOf(ApiRouteKind kind, ObjectKey route) => new(route.Namespace, $"{kind}:{route.Name}");

    /// <summary>The route a VirtualService key was translated from (<see cref="KeyOf(ApiRouteKind, ObjectKey)"/>); null for a VirtualService's own key.</summary>
    public static (ApiRouteKind Kind, ObjectKey Key)? RouteOf(ObjectKey virtualService)
    {
        var colon = virtualService.Name.IndexOf(':');
        return colon > 0 && Enum.TryParse<ApiRouteKind>(virtualService.Name[..colon], out var kind)
            ? (kind, new ObjectKey(virtualService.Namespace, virtualService.Name[(colon + 1)..]))
            : null;
    }

    /// <summary>
    /// The Service clients are sent to: an automated deployment's (<c>name-class</c> in the Gateway's namespace, as
    /// istiod creates it), or, for a manual deployment, the Service its one Hostname address names.
    /// </summary>
    private static ObjectKey? Target(ApiGateway gateway, string clusterDomain, out string reason)
    {
        reason = "";
        var addresses = gateway.Addresses;
        if (addresses.Count == 0 || addresses is [{ Type: "IPAddress" }])
            return new ObjectKey(gateway.Key.Namespace, $"{gateway.Key.Name}-{gateway.ClassName}");
        if (addresses is [{ Type: "Hostname", Value: var value }])
        {
            // A short name is a Service in the Gateway's namespace, as a host of its routes would be.
            var resolved = HostName.Resolve(value, gateway.Key.Namespace, clusterDomain);
            if (resolved.Fqdn is { } fqdn && HostName.ServiceOf(fqdn, clusterDomain) is { } service)
                return service;
            reason = $"its address {value} is not a Service of this cluster (name.namespace.svc.{clusterDomain}){(resolved.SkipReason is { } why ? $": {why}" : "")}, so Canal cannot point DNS at it";
            return null;
        }
        reason = "a manual deployment with several addresses: Canal needs one Hostname address naming the gateway's Service";
        return null;
    }

    private static GatewayServer Server(Listener listener) => listener.Protocol.ToUpperInvariant() switch
    {
        "TLS" => new(listener.Port, "TLS", ["*/*"], listener.Passthrough ? "PASSTHROUGH" : "SIMPLE"),
        var protocol => new(listener.Port, protocol, ["*/*"]),
    };

    /// <summary>The VirtualService one route becomes (null when no canal gateway accepts it), and what could not be.</summary>
    /// <param name="parents">The canal gateway of each of its parents (<see cref="ParentsOf"/>).</param>
    internal static (VirtualService? VirtualService, IReadOnlyList<ApiProblem> Problems) Translate(ApiRoute route, IReadOnlyList<ApiGateway?> parents,
        GatewayApiObjects objects, RedirectOptions options)
    {
        var problems = new List<ApiProblem>();
        var labels = objects.NamespaceLabels.GetValueOrDefault(route.Key.Namespace) ?? new Dictionary<string, string>();
        var accepted = new List<(ApiGateway Gateway, Listener Listener)>();
        for (var i = 0; i < route.Parents.Count; i++)
        {
            // Parents that are not canal gateways are not Canal's to judge.
            if (parents[i] is not { } gateway)
                continue;
            var parent = route.Parents[i];
            var attachment = RouteAttachment.Attach(route, parent, gateway, labels);
            if (attachment.Reason is { } reason)
                problems.Add(new ApiProblem(route.Kind.ToString(), route.Key, $"spec.parentRefs[{i}]", $"not attached to gateway {gateway.Key} ({reason})"));
            accepted.AddRange(attachment.Listeners.Select(l => (gateway, l)));
        }
        if (accepted.Count == 0)
            return (null, problems);

        var routes = new List<Route>();
        foreach (var resolved in route.Backends.Select(b => BackendResolution.Resolve(route, b, objects.Grants)))
        {
            // A backend Canal will not redirect is carried as a destination known to be skipped: the plan, the route's
            // Events and canal-cmd say why.
            if (resolved.Service is not { } service)
            {
                routes.Add(Skipped(route.Kind, resolved.Backend, resolved.Backend.Name, resolved.SkipReason!));
                continue;
            }
            var fqdn = HostName.ServiceFqdn(service, options.ClusterDomain);
            // A client asks for the Service by its name: the gateway routes it only where the route's hostnames cover it.
            var matches = accepted.Where(a => Covers(a.Listener, route, fqdn) && !Isolated(a.Gateway, a.Listener, fqdn))
                .Select(a => new RouteMatch([KeyOf(a.Gateway.Key).ToString()], a.Listener.Port, false, ["*"]))
                .ToList();
            if (matches.Count == 0)
            {
                routes.Add(Skipped(route.Kind, resolved.Backend, fqdn,
                    $"the listeners that accept the route do not serve {fqdn} (no hostname of the route covers it, or a listener on the same port with a more specific hostname takes it), so the gateway would answer its clients 404"));
                continue;
            }
            routes.Add(new Route(KindOf(route.Kind), resolved.Backend.Path, matches, [new RouteDestination(fqdn, resolved.Backend.Port, resolved.Backend.Path)]));
        }
        var gateways = accepted.Select(a => KeyOf(a.Gateway.Key).ToString()).Distinct().Order(StringComparer.Ordinal).ToList();
        // No resourceVersion: what a route claims also depends on its Gateways, grants and namespaces, so stored claims
        // are never taken as up to date by the route's version alone (a VirtualService from a file is treated the same).
        return (new VirtualService(KeyOf(route.Kind, route.Key), null, 0, ["*"], gateways, ["*"], routes)
        {
            Created = route.Created,
            Tables = route.Rules.Count == 0 ? null : Tables(route, accepted, objects.Grants, options),
        }, problems);
    }

    private static Route Skipped(ApiRouteKind kind, BackendRef backend, string host, string reason) =>
        new(KindOf(kind), backend.Path, [], [new RouteDestination(host, backend.Port, backend.Path) { SkipReason = reason }]);

    /// <summary>Whether a client's request for <paramref name="fqdn"/> is one <paramref name="listener"/> routes by <paramref name="route"/>'s hostnames.</summary>
    private static bool Covers(Listener listener, ApiRoute route, string fqdn) => Served(listener, route).Any(h => HostPattern.Covers(h, fqdn));

    /// <summary>
    /// The hostnames <paramref name="listener"/> serves of <paramref name="route"/>'s: the narrower of each pair that
    /// intersects (the one the other covers); every name for a TCPRoute, which has none.
    /// </summary>
    private static IEnumerable<string> Served(Listener listener, ApiRoute route)
    {
        if (route.Kind == ApiRouteKind.TCPRoute)
            return ["*"];
        var routeHosts = route.Hostnames.Count > 0 ? route.Hostnames : [listener.Hostname ?? "*"];
        return listener.Hostname is not { } own
            ? routeHosts
            : routeHosts.Where(h => RouteAttachment.Intersect(h, own)).Select(h => HostPattern.Covers(h, own) ? own : h);
    }

    /// <summary>
    /// True when another listener on the same port has a more specific hostname covering <paramref name="fqdn"/>: Istio
    /// then takes the name away from this listener's routes (listener isolation), and requests for it go to the other.
    /// </summary>
    private static bool Isolated(ApiGateway gateway, Listener listener, string fqdn) =>
        gateway.Listeners.Any(other => other != listener && other.Port == listener.Port && other.Hostname is { } hostname
            && HostPattern.Covers(hostname, fqdn) && (listener.Hostname == null || hostname != listener.Hostname && HostPattern.Covers(listener.Hostname, hostname)));

    private static RouteKind KindOf(ApiRouteKind kind) => kind switch
    {
        ApiRouteKind.TCPRoute => RouteKind.Tcp,
        ApiRouteKind.TLSRoute => RouteKind.Tls,
        _ => RouteKind.Http,
    };
}
