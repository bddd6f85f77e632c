namespace Canal.Istio;

/// <summary>An Istio Gateway: the workload it selects and the servers it opens.</summary>
public sealed record Gateway(
    ObjectKey Key,
    IReadOnlyDictionary<string, string> Selector,
    IReadOnlyList<GatewayServer> Servers)
{
    /// <summary>
    /// The Service DNS points at, when the Gateway says so itself: a Gateway API Gateway (its automated deployment's
    /// Service, or the Service its address names). Null for an Istio Gateway, whose Service is found by its selector.
    /// </summary>
    public ObjectKey? DnsTarget { get; init; }

    public IEnumerable<int> Ports => Servers.Select(s => s.Port).Distinct().Order();
}

/// <summary>
/// One server of a Gateway. <paramref name="Hosts"/> are <c>namespace/dnsName</c> entries (the namespace part
/// optional); <paramref name="TlsMode"/> and <paramref name="HttpsRedirect"/> come from its <c>tls</c> settings.
/// </summary>
public sealed record GatewayServer(int Port, string? Protocol, IReadOnlyList<string> Hosts, string? TlsMode = null, bool HttpsRedirect = false)
{
    /// <summary>
    /// Whether routes of <paramref name="kind"/> answer plain clients here: http routes on a plain HTTP server
    /// (HTTP, HTTP2, GRPC, GRPC-WEB) that does not redirect to HTTPS, tcp routes on a TCP server, tls routes on a
    /// TLS server that passes the connection through. A terminating HTTPS or TLS server would need clients to
    /// speak TLS to the gateway's certificate, which clients of a Service do not.
    /// </summary>
    public bool Carries(RouteKind kind)
    {
        var protocol = Protocol?.ToUpperInvariant();
        return kind switch
        {
            RouteKind.Http => protocol is "HTTP" or "HTTP2" or "GRPC" or "GRPC-WEB" && !HttpsRedirect,
            RouteKind.Tcp => protocol is "TCP",
            RouteKind.Tls => protocol is "TLS" && TlsMode?.ToUpperInvariant() is "PASSTHROUGH" or "AUTO_PASSTHROUGH",
            _ => false,
        };
    }
}
