using Canal.Istio;

namespace Canal.GatewayApi;

/// <summary>A translated route's tables: what the gateway does with its requests, for coverage.</summary>
public static partial class GatewayApiTranslation
{
    /// <summary>
    /// The route as istiod gives it to the gateway, one table per port of the listeners that accept it: the hostnames those
    /// listeners serve of it, and a route per match of each rule with the rule's backends by weight (a backend of weight 0
    /// gets nothing; a rule with none above 0 answers 500 itself, or refuses the connection for TCP and TLS).
    /// </summary>
    private static IReadOnlyList<RouteTable> Tables(ApiRoute route, List<(ApiGateway Gateway, Listener Listener)> accepted, IReadOnlyList<ReferenceGrant> grants, RedirectOptions options)
    {
        var kind = KindOf(route.Kind);
        var tables = new List<RouteTable>();
        foreach (var port in accepted.GroupBy(a => a.Listener.Port).OrderBy(p => p.Key))
        {
            IReadOnlyList<string> hosts = [.. port.SelectMany(a => Served(a.Listener, route)).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)];
            var routes = new List<TableRoute>();
            foreach (var rule in route.Rules)
            {
                var weighted = rule.Backends.Where(b => b.Weight > 0).ToList();
                IReadOnlyList<WeightedHost> destinations = [.. weighted.Select(b => new WeightedHost(
                    BackendResolution.Resolve(route, b, grants).Service is { } service ? HostName.ServiceFqdn(service, options.ClusterDomain) : b.Name,
                    weighted.Count == 1 ? 100 : b.Weight))];
                var answer = rule.Redirect ?? (destinations.Count > 0 ? null
                    : kind == RouteKind.Http ? "answers 500 itself: no backend of the rule has a weight above 0"
                    : "refuses the connections: no backend of the rule has a weight above 0");
                IReadOnlyList<WeightedHost> sent = answer != null ? [] : destinations;
                switch (kind)
                {
                    case RouteKind.Tcp:
                        routes.Add(new TableRoute(kind, rule.Path, [], sent, answer));
                        break;
                    case RouteKind.Tls:
                        routes.Add(new TableRoute(kind, rule.Path, [new TableMatch([], null, null, hosts)], sent, answer));
                        break;
                    default:
                        // istiod splits a rule into one route per match, each ordered by its own precedence; one without
                        // matches (a GRPCRoute's; an HTTPRoute's has the CRD's default) goes last.
                        IReadOnlyList<ApiMatch> each = rule.Matches.Count > 0 ? rule.Matches : [new ApiMatch(null, MatchRank.NoMatch)];
                        routes.AddRange(each.Select(m => new TableRoute(kind, rule.Path, [new TableMatch([], null, m.Request, [], m.Rank)], sent, answer)));
                        break;
                }
            }
            tables.Add(new RouteTable(KeyOf(route.Kind, route.Key), null, route.Created, hosts, [.. port.Select(a => KeyOf(a.Gateway.Key)).Distinct().Order()], routes) { Port = port.Key });
        }
        return tables;
    }
}
