using Canal.Istio;

namespace Canal.DnsWriter;

/// <summary>
/// What the DnsWriter decides from: every namespace's claims, the Gateways and the Services. Deciding is the
/// planner's (<see cref="DecisionCache"/> keeps the verdicts of hosts whose inputs did not change).
/// </summary>
internal sealed class RedirectState(RedirectOptions options)
{
    private readonly Dictionary<string, NamespaceClaims> _claims = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectKey, Gateway> _gateways = [];
    private readonly Dictionary<ObjectKey, ClusterService> _services = [];
    private readonly DecisionCache _decisions = new();
    private readonly ClaimantIndex _claimants = new();

    /// <summary>Found again only after a Gateway or a Service changed: finding them looks at every Service.</summary>
    private IReadOnlyDictionary<ObjectKey, CanalGateway>? _canalGateways;

    public IReadOnlyCollection<NamespaceClaims> Namespaces => _claims.Values;

    public IReadOnlyCollection<ObjectKey> Services => _services.Keys;

    /// <summary>Keeps the newer of the held and the given set; answers the version now held and whether it changed.</summary>
    public (long Held, bool Changed) Hold(NamespaceClaims claims)
    {
        if (_claims.TryGetValue(claims.Namespace, out var held) && held.Version >= claims.Version)
            return (held.Version, false);
        _claims[claims.Namespace] = claims;
        _claimants.Replace(held, claims);
        return (claims.Version, true);
    }

    // A Gateway matters to verdicts only as a canal gateway, which the decisions compare at each plan.
    public void Observe(Gateway gateway)
    {
        _gateways[gateway.Key] = gateway;
        _canalGateways = null;
    }

    public void RemoveGateway(ObjectKey key)
    {
        _gateways.Remove(key);
        _canalGateways = null;
    }

    public void Observe(ClusterService service)
    {
        var readinessOnly = _services.TryGetValue(service.Key, out var held) && (held with { ReadyEndpoints = service.ReadyEndpoints }).Equals(service);
        _services[service.Key] = service;
        // Verdicts see readiness only as withdrawn gateways (GatewayReadiness): a change of ready endpoints alone decides nothing again.
        if (readinessOnly)
            return;
        _canalGateways = null;
        _decisions.ServiceChanged(service.Key, options);
    }

    /// <summary>The Service as last observed (its ready endpoints current), or null.</summary>
    public ClusterService? Service(ObjectKey key) => _services.GetValueOrDefault(key);

    public void RemoveService(ObjectKey key)
    {
        _services.Remove(key);
        _canalGateways = null;
        _decisions.ServiceChanged(key, options);
    }

    /// <summary>A listing's Gateways and Services replace those held.</summary>
    public void Listed(IEnumerable<Gateway> gateways, IEnumerable<ClusterService> services)
    {
        _gateways.Clear();
        foreach (var gateway in gateways)
            _gateways[gateway.Key] = gateway;
        _services.Clear();
        foreach (var service in services)
            _services[service.Key] = service;
        _canalGateways = null;
        _decisions.Clear();
    }

    public IReadOnlyDictionary<ObjectKey, CanalGateway> CanalGateways() => _canalGateways ??= CanalGateway.Find(_gateways.Values, _services.Values, options);

    public RedirectPlan Plan(IReadOnlyDictionary<ObjectKey, CanalGateway> canalGateways, IReadOnlySet<ObjectKey> withdrawn) =>
        _decisions.Decide(_claimants.ByHost, canalGateways, _services.Values, options, withdrawn);

    public NamespaceSummaries Summaries() => new([.. _claims.Values
        .OrderBy(n => n.Namespace, StringComparer.Ordinal)
        .Select(n => new NamespaceSummary(n.Namespace, n.Claims.Count, n.Claims.SelectMany(c => c.Hosts).Distinct().Count(), n.Version))]);

    /// <summary>
    /// The claims a complete listing does not account for: made before the sync at <paramref name="epoch"/> by a
    /// VirtualService that is gone, or that no longer claims in that namespace. Those made since are alive, whatever the listing says.
    /// </summary>
    public IReadOnlyList<(string Namespace, ObjectKey Claimer)> Unaccounted(IReadOnlyDictionary<ObjectKey, IReadOnlyList<string>?> listed, long epoch) =>
        [.. _claims.Values.SelectMany(ns => ns.Claims
            .Where(c => c.Version < epoch && !(listed.TryGetValue(c.Claimer, out var namespaces) && (namespaces == null || namespaces.Contains(ns.Namespace))))
            .Select(c => (ns.Namespace, c.Claimer)))];
}
