namespace Canal.Istio;

/// <summary>
/// Which canal gateways lost their redirects: a gateway whose Service has had no ready endpoints for the grace
/// period is withdrawn (its hosts go straight to their Services: fail open); one with ready endpoints again is
/// restored. Time is given, never read, so the rule can be checked at any instant.
/// </summary>
public sealed class GatewayReadiness(TimeSpan grace)
{
    private readonly Dictionary<ObjectKey, DateTimeOffset> _unreadySince = [];
    private HashSet<ObjectKey> _withdrawn = [];

    /// <summary>The gateways withdrawn as of the last <see cref="Settle"/>.</summary>
    public IReadOnlySet<ObjectKey> Withdrawn => _withdrawn;

    /// <summary>A Service seen at <paramref name="now"/>; true when its grace period starts with it.</summary>
    public bool Observe(ClusterService service, DateTimeOffset now)
    {
        if (service.ReadyEndpoints == 0)
            return _unreadySince.TryAdd(service.Key, now);
        _unreadySince.Remove(service.Key);
        return false;
    }

    public void Forget(ObjectKey service) => _unreadySince.Remove(service);

    /// <summary>Only <paramref name="services"/> exist now (after a listing).</summary>
    public void Retain(IReadOnlyCollection<ObjectKey> services)
    {
        foreach (var gone in _unreadySince.Keys.Where(k => !services.Contains(k)).ToList())
            _unreadySince.Remove(gone);
    }

    /// <summary>The gateways that are withdrawn at <paramref name="now"/>; changes nothing.</summary>
    public HashSet<ObjectKey> WithdrawnAt(IReadOnlyDictionary<ObjectKey, CanalGateway> gateways, DateTimeOffset now) =>
        [.. gateways.Values
            .Where(g => _unreadySince.TryGetValue(g.ServiceKey, out var since) && now - since >= grace)
            .Select(g => g.Key)];

    /// <summary>Takes the gateways withdrawn at <paramref name="now"/> as the current ones; answers which were withdrawn and which restored by it.</summary>
    public (IReadOnlyList<ObjectKey> Withdrawn, IReadOnlyList<ObjectKey> Restored) Settle(IReadOnlyDictionary<ObjectKey, CanalGateway> gateways, DateTimeOffset now)
    {
        var withdrawn = WithdrawnAt(gateways, now);
        var changes = ((IReadOnlyList<ObjectKey>)[.. withdrawn.Except(_withdrawn)], (IReadOnlyList<ObjectKey>)[.. _withdrawn.Except(withdrawn)]);
        _withdrawn = withdrawn;
        return changes;
    }
}
