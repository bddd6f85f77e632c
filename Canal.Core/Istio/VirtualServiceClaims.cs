namespace Canal.Istio;

/// <summary>
/// What one VirtualService asks of DNS, independent of which gateways turn out to be canal gateways: the
/// gateways it names (not <c>mesh</c>) and its route destinations as fully qualified hosts, each with the
/// gateway ports its routes apply on (<see cref="HostRoutes"/>). docs/architecture.md states the rules.
/// </summary>
public sealed record VirtualServiceClaims(
    ObjectKey VirtualService,
    IReadOnlyList<ObjectKey> Gateways,
    IReadOnlyList<HostClaim> Hosts,
    IReadOnlyList<SkippedHost> Skipped)
{
    /// <param name="roots">The VirtualServices whose http routes delegate to <paramref name="vs"/>: a delegate is
    /// served only under them, with their hosts, gateways and exportTo.</param>
    public static VirtualServiceClaims Extract(VirtualService vs, IReadOnlyList<VirtualService> roots, RedirectOptions options)
    {
        var contexts = new List<Serving>();
        if (vs.Hosts.Count > 0 || roots.Count == 0)
            contexts.Add(Serving.Of(vs, null, options));
        foreach (var root in roots)
        {
            foreach (var delegating in root.Routes.Where(r => r.Delegate == vs.Key))
                contexts.Add(Serving.Of(root, delegating, options));
        }

        var found = new SortedDictionary<string, Found>(StringComparer.Ordinal);
        var skipped = new List<SkippedHost>();
        foreach (var route in vs.Routes)
        {
            foreach (var destination in route.Destinations)
            {
                if (destination.SkipReason is { } known)
                {
                    skipped.Add(new SkippedHost(destination.Host, destination.Path, known));
                    continue;
                }
                var resolution = HostName.Resolve(destination.Host, vs.Key.Namespace, options.ClusterDomain);
                if (resolution.Fqdn is not { } fqdn)
                {
                    skipped.Add(new SkippedHost(destination.Host, destination.Path, resolution.SkipReason!));
                    continue;
                }
                if (!found.TryGetValue(fqdn, out var host))
                    found[fqdn] = host = new Found();
                foreach (var context in contexts)
                    context.Bind(vs, route, fqdn, destination.Path, host);
            }
        }

        var gateways = contexts.SelectMany(c => c.Gateways).Distinct().Order().ToList();
        var tables = vs.Tables ?? [.. contexts.Select(c => c.Table(vs, options)).OfType<RouteTable>()];
        var hosts = found.Select(f => new HostClaim(
            f.Key,
            HostName.NamespaceOf(f.Key, options.ClusterDomain, vs.Key.Namespace),
            new HostRoutes([.. f.Value.Bindings.Order()], f.Value.Bindings.Count == 0 ? f.Value.Unbound : null) { Tables = tables })).ToList();
        return new VirtualServiceClaims(vs.Key, gateways, hosts, skipped);
    }

    private sealed class Found
    {
        public SortedSet<RouteBinding> Bindings { get; } = [];

        public string? Unbound { get; set; }
    }

    /// <summary>A VirtualService as a gateway sees it: itself, or a root with the route that delegates.</summary>
    private sealed record Serving(VirtualService Root, Route? Delegating, IReadOnlyList<ObjectKey> Gateways, IReadOnlyList<string> Hosts, IReadOnlySet<string>? ExportedTo)
    {
        public static Serving Of(VirtualService root, Route? delegating, RedirectOptions options)
        {
            var gateways = root.Gateways
                .Select(g => GatewayReference.Resolve(g, root.Key.Namespace))
                .OfType<ObjectKey>()
                .Distinct()
                .Order()
                .ToList();
            var hosts = root.Hosts
                .Select(h => h.Contains('.') || h == "*" ? h.TrimEnd('.') : HostName.ServiceFqdn(new ObjectKey(root.Key.Namespace, h), options.ClusterDomain))
                .ToList();
            var exportTo = root.ExportTo.Count > 0 ? root.ExportTo : options.DefaultExportTo;
            // null: exported everywhere. "." is the VirtualService's own namespace; "~" exports to none.
            var exportedTo = exportTo.Contains("*")
                ? null
                : exportTo.Where(e => e != "~").Select(e => e == "." ? root.Key.Namespace : e).ToHashSet(StringComparer.Ordinal);
            return new Serving(root, delegating, gateways, hosts, exportedTo);
        }

        private string Name => Delegating == null ? "its VirtualService" : $"root VirtualService {Root.Key}";

        /// <summary><paramref name="vs"/>'s routes as the gateways it is visible to serve them in this context; null when none does.</summary>
        public RouteTable? Table(VirtualService vs, RedirectOptions options)
        {
            var visible = Gateways.Where(g => ExportedTo == null || ExportedTo.Contains(g.Namespace)).ToList();
            if (visible.Count == 0 || Hosts.Count == 0 || Delegating != null && !DelegatedTo(vs))
                return null;
            var routes = new List<TableRoute>();
            foreach (var route in vs.Routes)
            {
                IReadOnlyList<RouteMatch> matches = route.Matches;
                if (Delegating != null && !TryMerge(Resolved(Delegating.Matches, Root.Key.Namespace), Resolved(route.Matches, vs.Key.Namespace), out matches))
                    continue;
                var applying = matches.Select(m => AtGateways(m, route.Kind, vs.Key.Namespace)).OfType<TableMatch>().ToList();
                // A route whose every match selects client workloads or other gateways never applies at a gateway.
                if (matches.Count > 0 && applying.Count == 0)
                    continue;
                routes.Add(new TableRoute(route.Kind, route.Path, applying, Weighted(route.Destinations, vs.Key.Namespace, options), route.Answer, route.Delegate));
            }
            return new RouteTable(vs.Key, Delegating == null ? null : RouteTable.UnderOf(Root.Key, Delegating.Path), Root.Created, Hosts, visible, routes);
        }

        private bool DelegatedTo(VirtualService vs) =>
            vs.ExportTo.Count == 0 || vs.ExportTo.Contains("*") || vs.ExportTo.Select(e => e == "." ? vs.Key.Namespace : e).Contains(Root.Key.Namespace);

        private TableMatch? AtGateways(RouteMatch match, RouteKind kind, string vsNamespace)
        {
            if (match.SourceScoped)
                return null;
            var gateways = match.Gateways.Select(g => GatewayReference.Resolve(g, vsNamespace)).OfType<ObjectKey>().Distinct().Order().ToList();
            if (match.Gateways.Count > 0 && gateways.Count == 0)
                return null;
            return new TableMatch(gateways, match.Port, match.Request, kind == RouteKind.Tls ? (match.SniHosts.Count > 0 ? match.SniHosts : Hosts) : [], match.Rank);
        }

        public void Bind(VirtualService vs, Route route, string fqdn, string path, Found host)
        {
            void Unbound(string reason) => host.Unbound ??= $"{reason} (at {path})";

            if (Gateways.Count == 0)
                return;
            if (Hosts.Count == 0)
            {
                Unbound($"{Name} has no hosts, so no gateway routes requests to it (a delegate is served only under a root VirtualService that delegates to it)");
                return;
            }
            if (!Hosts.Any(h => HostPattern.Covers(h, fqdn)))
            {
                Unbound($"{Name} has no host that covers it (hosts: {string.Join(", ", Hosts)}), so the gateway would answer its clients 404");
                return;
            }
            IReadOnlyList<RouteMatch> matches = route.Matches;
            if (Delegating != null && !TryMerge(Resolved(Delegating.Matches, Root.Key.Namespace), Resolved(route.Matches, vs.Key.Namespace), out matches))
            {
                Unbound($"its route's match conflicts with every match of the route of {Root.Key} that delegates to it, so Istio ignores the route");
                return;
            }
            if (Delegating != null && vs.ExportTo.Count > 0 && !vs.ExportTo.Contains("*") && !vs.ExportTo.Select(e => e == "." ? vs.Key.Namespace : e).Contains(Root.Key.Namespace))
            {
                Unbound($"its VirtualService is not exported to namespace {Root.Key.Namespace} of its root {Root.Key}, so Istio does not delegate to it");
                return;
            }
            foreach (var gateway in Gateways)
            {
                if (ExportedTo != null && !ExportedTo.Contains(gateway.Namespace))
                {
                    Unbound($"{Name} is not exported to namespace {gateway.Namespace} of gateway {gateway} (exportTo: {(ExportedTo.Count == 0 ? "~" : string.Join(", ", ExportedTo.Order()))}), so the gateway does not see it");
                    continue;
                }
                var ports = PortsOn(gateway, route.Kind, matches, vs.Key.Namespace, fqdn).ToList();
                if (ports.Count == 0)
                {
                    Unbound(route.Kind == RouteKind.Tls
                        ? $"no match of its tls route applies to gateway {gateway} with an sniHost that covers it"
                        : $"its route's matches apply only elsewhere (match.gateways, sourceLabels or sourceNamespace), not on gateway {gateway}");
                    continue;
                }
                foreach (var port in ports)
                    host.Bindings.Add(new RouteBinding(gateway, port, route.Kind, Root.Key.Namespace));
            }
        }

        /// <summary>The ports (null: any) on which a route with these matches applies on <paramref name="gateway"/>.</summary>
        private IEnumerable<int?> PortsOn(ObjectKey gateway, RouteKind kind, IReadOnlyList<RouteMatch> matches, string vsNamespace, string fqdn)
        {
            if (matches.Count == 0)
                return [null];
            return matches
                .Where(m => m.Gateways.Count > 0
                    ? m.Gateways.Select(g => GatewayReference.Resolve(g, vsNamespace)).Contains(gateway)
                    // sourceLabels and sourceNamespace pick client workloads; Canal does not know the gateway pods' labels, so such a match does not count.
                    : !m.SourceScoped)
                .Where(m => kind != RouteKind.Tls || (m.SniHosts.Count > 0 ? m.SniHosts : Hosts).Any(h => HostPattern.Covers(h, fqdn)))
                .Select(m => m.Port)
                .Distinct();
        }
    }

    /// <summary>
    /// Each destination's share as Istio gives it: a lone destination takes every request whatever its weight; of several,
    /// each gets its weight relative to their sum (one left out weighs 0).
    /// </summary>
    private static IReadOnlyList<WeightedHost> Weighted(IReadOnlyList<RouteDestination> destinations, string ns, RedirectOptions options) =>
        [.. destinations.Select(d => new WeightedHost(
            d.SkipReason == null && HostName.Resolve(d.Host, ns, options.ClusterDomain).Fqdn is { } fqdn ? fqdn : d.Host,
            destinations.Count == 1 ? 100 : d.Weight ?? 0))];

    /// <summary>Match gateways as <c>namespace/name</c>, each resolved in the namespace of the VirtualService that wrote it.</summary>
    private static List<RouteMatch> Resolved(IReadOnlyList<RouteMatch> matches, string ns) =>
        [.. matches.Select(m => m with { Gateways = [.. m.Gateways.Select(g => GatewayReference.Resolve(g, ns)?.ToString() ?? GatewayReference.Mesh)] })];

    /// <summary>
    /// A delegate's matches merged with its root route's, as Istio merges them: every delegate match must fall
    /// within a root match (ports and gateways must not disagree); the port and gateways of the delegate's win.
    /// </summary>
    private static bool TryMerge(IReadOnlyList<RouteMatch> root, IReadOnlyList<RouteMatch> leaf, out IReadOnlyList<RouteMatch> merged)
    {
        merged = root.Count == 0 ? leaf : leaf.Count == 0 ? root : [];
        if (root.Count == 0 || leaf.Count == 0)
            return true;
        var result = new List<RouteMatch>();
        foreach (var l in leaf)
        {
            var any = false;
            foreach (var r in root)
            {
                var portConflict = r.Port != null && l.Port != null && r.Port != l.Port;
                var gatewayConflict = r.Gateways.Count > 0 && l.Gateways.Count > 0 && l.Gateways.Except(r.Gateways).Any();
                if (portConflict || gatewayConflict)
                    continue;
                result.Add(new RouteMatch(l.Gateways.Count > 0 ? l.Gateways : r.Gateways, l.Port ?? r.Port, l.SourceScoped || r.SourceScoped, l.SniHosts)
                {
                    Request = RequestConditions.Join([r.Request, l.Request]),
                });
                any = true;
            }
            if (!any)
                return false;
        }
        merged = result;
        return true;
    }
}
