using System.Globalization;

namespace Canal.Istio;

/// <summary>What the gateway tries for a name, in order, and what that means for its requests (<see cref="Coverage.Of(string, ObjectKey, int, RouteKind)"/>).</summary>
public sealed partial class Coverage
{
    /// <summary>A route the gateway tries, with the requests it takes there (null: all of them).</summary>
    private sealed record Taken(ObjectKey Owner, TableRoute Route, string? Requests);

    /// <summary>The routes the virtual host answering <paramref name="host"/> tries, up to the first that takes every request.</summary>
    private Tried? HttpRoutes(string host, ObjectKey gateway, int port)
    {
        var name = host.ToLowerInvariant();
        List<RouteTable> merged;
        if (_exact.TryGetValue((gateway, name), out var exact) && exact.Any(t => t.ServedOn(port)))
            merged = [.. exact.Where(t => t.ServedOn(port))];
        else
        {
            var covering = (_wildcards.GetValueOrDefault(gateway) ?? []).Where(w => w.Table.ServedOn(port) && HostPattern.Covers(w.Host, name)).ToList();
            if (covering.Count == 0)
                return null;
            name = covering.MaxBy(w => w.Host.Length)!.Host.ToLowerInvariant();
            merged = [.. covering.Where(w => string.Equals(w.Host, name, StringComparison.OrdinalIgnoreCase)).Select(w => w.Table).Distinct()];
        }
        if (!_virtualHosts.TryGetValue((gateway, port, name), out var taken))
            _virtualHosts[(gateway, port, name)] = taken = new Tried(Merge(merged, gateway, port));
        return taken;
    }

    private List<Taken> Merge(List<RouteTable> merged, ObjectKey gateway, int port)
    {
        // Gateway API routes: istiod merges the rules of every route on a hostname and orders them by their matches'
        // precedence (ties: the oldest route, then namespace/name, the reverse of VirtualServices' name/namespace, then
        // rule order), and stops at the first catch-all.
        if (merged.All(t => t.Routes.All(r => r.Matches.Count > 0 && r.Matches[0].Rank != null)))
        {
            var ranked = merged.OrderBy(t => t.Created ?? DateTimeOffset.MaxValue).ThenBy(t => t.VirtualService)
                .SelectMany(t => Taking(t, gateway, port))
                .OrderBy(t => t.Route.Matches[0].Rank)
                .ToList();
            return UpToCatchAll(ranked);
        }
        merged.Sort(TableOrder.Instance);
        // VirtualServices: each one's routes up to its first catch-all, oldest first; Envoy then gets every catch-all
        // moved behind the other routes (SortVHostRoutes), so an older catch-all does not hide a newer exact route.
        var taken = merged.SelectMany(t => UpToCatchAll(Taking(t, gateway, port))).ToList();
        return UpToCatchAll([.. taken.Where(t => t.Requests != null), .. taken.Where(t => t.Requests == null)]);
    }

    /// <summary>A table's http routes that apply on the gateway and port, with the requests each takes there.</summary>
    private List<Taken> Taking(RouteTable table, ObjectKey gateway, int port)
    {
        var taken = new List<Taken>();
        foreach (var (owner, route) in Expand(table).Where(r => r.Route.Kind == RouteKind.Http))
        {
            var applying = route.Matches.Where(m => m.AppliesOn(gateway, port)).ToList();
            if (route.Matches.Count > 0 && applying.Count == 0)
                continue;
            var requests = route.Matches.Count == 0 || applying.Any(m => m.Request == null) ? null : string.Join(" or ", applying.Select(m => m.Request));
            taken.Add(new Taken(owner, route, requests));
        }
        return taken;
    }

    private static List<Taken> UpToCatchAll(List<Taken> taken)
    {
        var catchAll = taken.FindIndex(t => t.Requests == null);
        return catchAll < 0 ? taken : taken[..(catchAll + 1)];
    }

    /// <summary>TCP and TLS: the first route that applies takes every connection (by the oldest VirtualService first).</summary>
    private Tried? FirstRoute(RouteKind kind, ObjectKey gateway, int port, Func<TableMatch, bool> takes)
    {
        foreach (var table in _l4.GetValueOrDefault(gateway) ?? [])
        {
            if (!table.ServedOn(port))
                continue;
            foreach (var (owner, route) in Expand(table).Where(r => r.Route.Kind == kind && r.Route.Destinations.Count + (r.Route.Answer == null ? 0 : 1) > 0))
            {
                if (route.Matches.Count == 0 ? kind == RouteKind.Tcp : route.Matches.Any(m => m.AppliesOn(gateway, port) && takes(m)))
                    return new Tried([new Taken(owner, route, null)]);
            }
        }
        return null;
    }

    /// <summary>A table's routes with each delegating route replaced by its delegate's (none when the delegate is not known: istiod drops the route).</summary>
    private IEnumerable<(ObjectKey Owner, TableRoute Route)> Expand(RouteTable table)
    {
        foreach (var route in table.Routes)
        {
            if (route.Delegate is not { } target)
            {
                yield return (table.VirtualService, route);
                continue;
            }
            if (_tables.TryGetValue(new TableKey(target, RouteTable.UnderOf(table.VirtualService, route.Path), null), out var delegated))
            {
                foreach (var inner in delegated.Routes.Where(r => r.Delegate == null))
                    yield return (target, inner);
            }
        }
    }

    /// <summary>The routes a host's coverage lists, and the other destinations its summary names: a virtual host may hold thousands.</summary>
    private const int MaxLines = 20, MaxParts = 3;

    /// <summary>The routes a virtual host (or a TCP or TLS server) tries, and how they read: one list for every host it answers.</summary>
    private sealed class Tried(List<Taken> taken)
    {
        private IReadOnlyList<string>? _lines;

        public List<Taken> Taken { get; } = taken;

        public IReadOnlyList<string> Lines => _lines ??= Describe();

        private List<string> Describe()
        {
            List<string> lines = [.. Taken.Take(MaxLines).Select(t => $"{t.Owner} {t.Route.Path}: {t.Requests ?? "every request"} -> {Where(t.Route)}")];
            if (Taken.Count > MaxLines)
                lines.Add($"… and {Taken.Count - MaxLines} more routes");
            return lines;
        }
    }

    private static HostCoverage Judge(string host, Tried tried)
    {
        var (taken, lines) = (tried.Taken, tried.Lines);
        var toHost = taken.Where(t => Share(t.Route, host) > 0).ToList();
        var catchAll = taken.Count > 0 && taken[^1].Requests == null;
        HostCoverage Covered(CoverageKind kind, string summary) => new(kind, summary, lines) { FallsThrough = !catchAll };
        if (toHost.Count == 0)
        {
            var why = taken.Count == 0
                ? "no route of the gateway takes its requests"
                : $"the gateway sends it none of its requests ({Listed(taken.Select(t => $"{t.Requests ?? "every request"} -> {Where(t.Route)}"), "; ")})";
            return Covered(CoverageKind.None, why);
        }
        var elsewhere = taken.Where(t => Share(t.Route, host) < 1).ToList();
        var rest = catchAll ? "" : "; other requests get 404";
        if (elsewhere.Count > 0)
        {
            // A catch-all after routes with conditions takes the requests they leave.
            var parts = elsewhere.Select(t => (t.Requests ?? (taken.Count > 1 ? "other requests" : null)) is { } requests
                ? $"{requests}: {Where(t.Route, except: host)}"
                : Where(t.Route, except: host));
            return Covered(CoverageKind.Shared, Listed(parts, "; ") + rest);
        }
        if (!catchAll)
            return Covered(CoverageKind.Partial, $"only {Listed(toHost.Select(t => t.Requests!), "; ")} {(toHost.Count == 1 ? "is" : "are")} routed{rest}");
        return Covered(CoverageKind.Full, "every request is routed to it");
    }

    private static string Listed(IEnumerable<string> parts, string separator)
    {
        var all = parts.ToList();
        return all.Count <= MaxParts ? string.Join(separator, all) : $"{string.Join(separator, all.Take(MaxParts))}{separator}and {all.Count - MaxParts} more";
    }

    /// <summary>The share of a route's requests that go to <paramref name="host"/>, from 0 to 1.</summary>
    private static double Share(TableRoute route, string host)
    {
        var total = route.Answer != null ? 0 : route.Destinations.Sum(d => (long)d.Weight);
        return total == 0 ? 0 : route.Destinations.Where(d => string.Equals(d.Host, host, StringComparison.OrdinalIgnoreCase)).Sum(d => (double)d.Weight) / total;
    }

    /// <summary>Where a route sends its requests (<c>50 % to a, 50 % to b</c>), leaving out <paramref name="except"/>.</summary>
    private static string Where(TableRoute route, string? except = null)
    {
        if (route.Answer != null)
            return $"the gateway {route.Answer}";
        var total = route.Destinations.Sum(d => (long)d.Weight);
        if (total == 0)
            return "its destinations' weights total 0, which Istio refuses (total destination weight = 0): nothing is routed";
        var shares = route.Destinations
            .Where(d => d.Weight > 0 && !string.Equals(d.Host, except, StringComparison.OrdinalIgnoreCase))
            .GroupBy(d => d.Host, StringComparer.OrdinalIgnoreCase)
            .Select(g => $"{(g.Sum(d => (double)d.Weight) * 100 / total).ToString("0.#", CultureInfo.InvariantCulture)} % to {g.Key}");
        return string.Join(", ", shares);
    }

    /// <summary>istiod's order of VirtualServices: the oldest first, then by name, then by namespace.</summary>
    private sealed class TableOrder : IComparer<RouteTable>
    {
        public static readonly TableOrder Instance = new();

        public int Compare(RouteTable? x, RouteTable? y)
        {
            var c = (x!.Created ?? DateTimeOffset.MaxValue).CompareTo(y!.Created ?? DateTimeOffset.MaxValue);
            if (c == 0)
                c = string.CompareOrdinal(x.VirtualService.Name, y.VirtualService.Name);
            return c != 0 ? c : string.CompareOrdinal(x.VirtualService.Namespace, y.VirtualService.Namespace);
        }
    }
}
