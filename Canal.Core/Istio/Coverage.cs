namespace Canal.Istio;

/// <summary>
/// The routes of every VirtualService bound to the canal gateways, as their claims carry them (<see cref="RouteTable"/>),
/// and what the gateway does with the requests for one name, as istiod builds its routes and Envoy picks them: the virtual
/// host is the most specific host covering the name (an exact name before a wildcard, a longer wildcard before a shorter),
/// the routes of every VirtualService with that same host are merged oldest first (Gateway API rules by their precedence),
/// and the first route whose match takes a request wins; a request no route takes gets a 404.
/// </summary>
public sealed partial class Coverage
{
    private readonly record struct TableKey(ObjectKey VirtualService, string? Under, int? Port)
    {
        public static TableKey Of(RouteTable table) => new(table.VirtualService, table.Under, table.Port);
    }

    /// <summary>A version of a table and how many (host, claimant) pairs carry it.</summary>
    private sealed class Carried(RouteTable table)
    {
        public RouteTable Table { get; } = table;
        public int Count { get; set; }
    }

    // The claimants last seen per host, and every table they carry: a VirtualService's tables ride on each of its hosts,
    // and while its namespaces catch up two versions may be carried at once (the one added last counts).
    private readonly Dictionary<string, IReadOnlyList<HostClaimant>> _claimants = new(StringComparer.Ordinal);
    private readonly Dictionary<TableKey, List<Carried>> _carried = [];
    private readonly Dictionary<TableKey, RouteTable> _tables = [];

    // Virtual hosts by gateway: exact names looked up, wildcards (few) scanned; each a host's cost, whatever the count of tables.
    private readonly Dictionary<(ObjectKey Gateway, string Host), List<RouteTable>> _exact = [];
    private readonly Dictionary<ObjectKey, List<(string Host, RouteTable Table)>> _wildcards = [];

    // Tables with tcp or tls routes, by gateway, oldest first: the first route that applies takes the connection.
    private readonly Dictionary<ObjectKey, List<RouteTable>> _l4 = [];

    // What a virtual host's requests meet, worked out once per update for every host it answers.
    private readonly Dictionary<(ObjectKey Gateway, int Port, string Host), Tried> _virtualHosts = [];

    /// <summary>The tables <paramref name="claims"/> carry.</summary>
    public static Coverage Of(IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> claims)
    {
        var coverage = new Coverage();
        coverage.Update(claims);
        return coverage;
    }

    /// <summary>
    /// Takes in the tables <paramref name="claims"/> carry, looking only at hosts whose claimants changed since the last
    /// update (work in proportion to the change), and answers the hosts whose coverage may have changed: those covered by
    /// a host of a table that changed, whether or not they claim it (a more specific host routing elsewhere, a merge).
    /// Lists are recognised by reference first (the DnsWriter's index keeps an unchanged host's), then by content.
    /// </summary>
    /// <param name="changed">Told each host whose claimants changed: before and now (null: none), for what else the caller keeps per host.</param>
    public IReadOnlySet<string> Update(IReadOnlyDictionary<string, IReadOnlyList<HostClaimant>> claims,
        Action<string, IReadOnlyList<HostClaimant>?, IReadOnlyList<HostClaimant>?>? changed = null)
    {
        _virtualHosts.Clear();
        var patterns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (host, claimants) in claims)
        {
            var before = _claimants.GetValueOrDefault(host);
            if (ReferenceEquals(before, claimants))
                continue;
            _claimants[host] = claimants;
            if (before != null && HostClaimant.Same(before, claimants))
                continue;
            // What is carried again is counted before what is let go, so an unchanged table is never dropped in between.
            Carry(claimants, +1, patterns);
            Carry(before, -1, patterns);
            changed?.Invoke(host, before, claimants);
        }
        // Every host of the claims is known now: any more are hosts no longer claimed.
        if (_claimants.Count > claims.Count)
        {
            foreach (var gone in _claimants.Keys.Where(h => !claims.ContainsKey(h)).ToList())
            {
                Carry(_claimants[gone], -1, patterns);
                changed?.Invoke(gone, _claimants[gone], null);
                _claimants.Remove(gone);
            }
        }
        if (patterns.Count == 0)
            return new HashSet<string>();
        var wildcards = patterns.Where(p => p.StartsWith('*')).ToList();
        return wildcards.Count == 0
            ? patterns.Where(claims.ContainsKey).ToHashSet(StringComparer.Ordinal)
            : claims.Keys.Where(h => patterns.Contains(h) || wildcards.Any(w => HostPattern.Covers(w, h))).ToHashSet(StringComparer.Ordinal);
    }

    private void Carry(IReadOnlyList<HostClaimant>? claimants, int delta, HashSet<string> patterns)
    {
        foreach (var table in claimants?.SelectMany(c => c.Routes.Tables ?? []) ?? [])
        {
            var key = TableKey.Of(table);
            if (!_carried.TryGetValue(key, out var versions))
                _carried[key] = versions = [];
            var version = versions.FirstOrDefault(v => v.Table.Equals(table));
            if (version == null)
                versions.Add(version = new Carried(table));
            version.Count += delta;
            if (version.Count <= 0)
                versions.Remove(version);
            if (versions.Count == 0)
                _carried.Remove(key);
            var now = versions.Count > 0 ? versions[^1].Table : null;
            var was = _tables.GetValueOrDefault(key);
            if (ReferenceEquals(now, was) || now != null && now.Equals(was))
                continue;
            if (was != null)
            {
                Unindex(was);
                patterns.UnionWith(HostsOf(was));
            }
            if (now != null)
            {
                _tables[key] = now;
                Index(now);
                patterns.UnionWith(HostsOf(now));
            }
            else
                _tables.Remove(key);
        }
    }

    /// <summary>The hosts a table serves: its own, or for a delegate's, its root's (<see cref="RouteTable.UnderOf"/>: <c>namespace/name path</c>).</summary>
    private IEnumerable<string> HostsOf(RouteTable table) =>
        table.Under == null
            ? table.Hosts
            : _tables.GetValueOrDefault(new TableKey(ObjectKey.Parse(table.Under[..table.Under.IndexOf(' ')], ""), null, null))?.Hosts ?? ["*"];

    private void Index(RouteTable table) => Reindex(table, adding: true);

    private void Unindex(RouteTable table) => Reindex(table, adding: false);

    /// <summary>Adds a root table to, or removes it from, the virtual hosts of its gateways (a delegate's is reached through its root).</summary>
    private void Reindex(RouteTable table, bool adding)
    {
        if (table.Under != null)
            return;
        var l4 = table.Routes.Any(r => r.Kind != RouteKind.Http);
        foreach (var gateway in table.Gateways)
        {
            foreach (var host in table.Hosts.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (!host.StartsWith('*'))
                    Change(_exact, (gateway, host.ToLowerInvariant()), table, t => t, adding);
                else
                    Change(_wildcards, gateway, (Host: host, Table: table), w => w.Table, adding);
            }
            if (l4)
            {
                Change(_l4, gateway, table, t => t, adding);
                _l4.GetValueOrDefault(gateway)?.Sort(TableOrder.Instance);
            }
        }
    }

    private static void Change<TKey, TValue>(Dictionary<TKey, List<TValue>> index, TKey key, TValue value, Func<TValue, RouteTable> tableOf, bool adding) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list))
            index[key] = list = [];
        if (adding)
            list.Add(value);
        else
            list.RemoveAll(v => ReferenceEquals(tableOf(v), tableOf(value)));
        if (list.Count == 0)
            index.Remove(key);
    }

    /// <summary>
    /// What <paramref name="gateway"/> does on <paramref name="port"/> with the requests for <paramref name="host"/>, by
    /// routes of <paramref name="kind"/>; null when no table says (claims stored before tables existed).
    /// </summary>
    public HostCoverage? Of(string host, ObjectKey gateway, int port, RouteKind kind)
    {
        var taken = kind switch
        {
            RouteKind.Http => HttpRoutes(host, gateway, port),
            RouteKind.Tcp => FirstRoute(RouteKind.Tcp, gateway, port, _ => true),
            _ => FirstRoute(RouteKind.Tls, gateway, port, m => m.SniHosts.Any(h => HostPattern.Covers(h, host))),
        };
        return taken == null ? null : Judge(host, taken);
    }
}
