namespace Canal.Dns;

/// <summary>How redirects are written into CoreDNS's configuration (DESIGN.md, "DNS modes").</summary>
public enum DnsMode
{
    /// <summary><c>hosts</c> where the cluster block has none of its own and the gateway IPs are known, else <c>rewrite</c>.</summary>
    Auto,

    /// <summary><c>rewrite name exact HOST GATEWAY-SERVICE</c>: follows the gateway Service; costs grow per rule on every query.</summary>
    Rewrite,

    /// <summary>A <c>hosts</c> block of gateway ClusterIPs: one map lookup per query however many redirects there are.</summary>
    Hosts,

    /// <summary>
    /// Rewrite rules in a file of their own that the Corefile imports (<c>coredns-custom</c>, as AKS and k3s
    /// expect customisation); the Corefile itself is left alone.
    /// </summary>
    Custom,
}
