namespace Canal.Istio;

/// <summary>
/// The hosts that tcp routes send to each gateway. A gateway's TCP server forwards everything that arrives on
/// its port by one route (Istio takes the first that matches), so two hosts redirected onto one TCP port would
/// share it: clients of one would reach the other. Kept up to date host by host (<see cref="Replace"/>), so a
/// change costs its own hosts' bindings, not every claim's.
/// </summary>
public sealed class TcpPorts
{
    /// <summary>Per gateway, each (host, port) and how many tcp bindings of the host's claimants name it.</summary>
    private readonly Dictionary<ObjectKey, SortedDictionary<(string Host, int Port), int>> _byGateway = [];

    /// <summary>Port -1 stands for a binding that applies on any port.</summary>
    private const int AnyPort = -1;

    public static TcpPorts Of(IEnumerable<KeyValuePair<string, IReadOnlyList<HostClaimant>>> claims)
    {
        var tcp = new TcpPorts();
        foreach (var (host, claimants) in claims)
            tcp.Replace(host, null, claimants);
        return tcp;
    }

    /// <summary>
    /// Takes <paramref name="now"/> as <paramref name="host"/>'s claimants in place of <paramref name="before"/> (null: none);
    /// answers whether any gateway's (host, port) pairs changed, which may change the verdict of every host on them.
    /// </summary>
    public bool Replace(string host, IReadOnlyList<HostClaimant>? before, IReadOnlyList<HostClaimant>? now)
    {
        // What is bound again is counted before what is let go, so an unchanged pair never leaves in between.
        var changed = Count(host, now, +1);
        return Count(host, before, -1) | changed;
    }

    private bool Count(string host, IReadOnlyList<HostClaimant>? claimants, int delta)
    {
        var changed = false;
        foreach (var binding in claimants?.SelectMany(c => c.Routes.Bindings) ?? [])
        {
            if (binding.Kind != RouteKind.Tcp)
                continue;
            if (!_byGateway.TryGetValue(binding.Gateway, out var pairs))
                _byGateway[binding.Gateway] = pairs = [];
            var pair = (host, binding.Port ?? AnyPort);
            var count = pairs.GetValueOrDefault(pair) + delta;
            changed |= count == 0 || count == delta;
            if (count > 0)
                pairs[pair] = count;
            else
                pairs.Remove(pair);
            if (pairs.Count == 0)
                _byGateway.Remove(binding.Gateway);
        }
        return changed;
    }

    /// <summary>Another host whose tcp routes reach <paramref name="gateway"/> on <paramref name="port"/>, or null.</summary>
    public string? SharedWith(ObjectKey gateway, int port, string host) =>
        _byGateway.TryGetValue(gateway, out var pairs)
            ? pairs.Keys.FirstOrDefault(e => e.Host != host && (e.Port == port || e.Port == AnyPort)).Host
            : null;
}
