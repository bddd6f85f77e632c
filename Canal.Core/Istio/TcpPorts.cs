namespace Canal.Istio;

/// <summary>
/// The hosts that tcp routes send to each gateway. A gateway's TCP server forwards everything that arrives on
/// its port by one route (Istio takes the first that matches), so two hosts redirected onto one TCP port would
/// share it: clients of one would reach the other.
/// </summary>
public sealed class TcpPorts : IEquatable<TcpPorts>
{
    private readonly Dictionary<ObjectKey, SortedSet<(string Host, int Port)>> _byGateway;

    private TcpPorts(Dictionary<ObjectKey, SortedSet<(string Host, int Port)>> byGateway) => _byGateway = byGateway;

    /// <summary>Port -1 stands for a binding that applies on any port.</summary>
    private const int AnyPort = -1;

    public static TcpPorts Of(IEnumerable<KeyValuePair<string, IReadOnlyList<HostClaimant>>> claims)
    {
        var byGateway = new Dictionary<ObjectKey, SortedSet<(string, int)>>();
        foreach (var (host, claimants) in claims)
        {
            foreach (var claimant in claimants)
            {
                foreach (var binding in claimant.Routes.Bindings)
                {
                    if (binding.Kind != RouteKind.Tcp)
                        continue;
                    if (!byGateway.TryGetValue(binding.Gateway, out var set))
                        byGateway[binding.Gateway] = set = [];
                    set.Add((host, binding.Port ?? AnyPort));
                }
            }
        }
        return new TcpPorts(byGateway);
    }

    /// <summary>Another host whose tcp routes reach <paramref name="gateway"/> on <paramref name="port"/>, or null.</summary>
    public string? SharedWith(ObjectKey gateway, int port, string host) =>
        _byGateway.TryGetValue(gateway, out var set)
            ? set.FirstOrDefault(e => e.Host != host && (e.Port == port || e.Port == AnyPort)).Host
            : null;

    public bool Equals(TcpPorts? other) =>
        other != null && _byGateway.Count == other._byGateway.Count
        && _byGateway.All(g => other._byGateway.TryGetValue(g.Key, out var set) && set.SetEquals(g.Value));

    public override bool Equals(object? obj) => Equals(obj as TcpPorts);

    public override int GetHashCode() => _byGateway.Count;
}
