namespace Canal.Propagation;

/// <summary>
/// The CoreDNS replicas that serve the cluster, asked directly (a port, as <c>IDnsConfigStore</c> is): the endpoints of
/// the kube-dns Service in a cluster, the <c>--dns-probe</c> addresses in local mode. Read-only.
/// </summary>
public interface ICoreDnsReplicas
{
    /// <summary>Where the replicas come from, for messages (<c>kube-system/kube-dns</c>).</summary>
    string Description { get; }

    Task<IReadOnlyList<CoreDnsReplica>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The addresses <paramref name="replica"/> answers for <paramref name="name"/> (AAAA when <paramref name="ipv6"/>, else A).</summary>
    Task<DnsAnswer> AskAsync(CoreDnsReplica replica, string name, bool ipv6, CancellationToken cancellationToken);

    /// <summary>The replica's <c>coredns_reload_failed_total</c> from its metrics on <paramref name="metricsPort"/>; null when it cannot be read.</summary>
    Task<double?> ReloadFailuresAsync(CoreDnsReplica replica, int metricsPort, CancellationToken cancellationToken);
}

/// <param name="Name">What people call it: the pod's name, or the address.</param>
/// <param name="MetricsPort">Where its metrics are, when its endpoints say (kube-dns's port <c>metrics</c>); else the Corefile's <c>prometheus</c> is read.</param>
public sealed record CoreDnsReplica(string Name, string Address, int Port, int? MetricsPort = null);

/// <summary>A replica's answer to one question.</summary>
public abstract record DnsAnswer
{
    /// <summary>The addresses answered (none: the name exists without such records).</summary>
    public sealed record Addresses(IReadOnlyList<string> Found) : DnsAnswer;

    public sealed record NoSuchName : DnsAnswer
    {
        public static readonly NoSuchName Instance = new();
    }

    /// <summary>No answer: a timeout, a refused connection, a server failure.</summary>
    public sealed record Failed(string Why) : DnsAnswer;

    public IReadOnlyList<string> Values() => this is Addresses a ? a.Found : [];
}
