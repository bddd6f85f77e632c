namespace Canal.Istio;

/// <summary>One name CoreDNS should answer with the canal gateway: by its Service name (rewrite) or its ClusterIPs (hosts).</summary>
public sealed record Redirect(string Host, string TargetFqdn, IReadOnlyList<string> TargetIPs);
