namespace Canal.Istio;

/// <summary>
/// Istio's host patterns: an exact name, <c>*</c> for every name, or a leading <c>*</c> for a suffix
/// (<c>*.shop.svc.cluster.local</c>), as VirtualService hosts, Gateway server hosts and SNI hosts are written.
/// </summary>
internal static class HostPattern
{
    /// <summary>True when <paramref name="pattern"/> takes the fully qualified <paramref name="host"/>.</summary>
    public static bool Covers(string pattern, string host)
    {
        if (pattern == "*")
            return true;
        if (pattern.StartsWith('*'))
            return host.Length > pattern.Length - 1 && host.EndsWith(pattern.AsSpan(1), StringComparison.OrdinalIgnoreCase);
        return string.Equals(pattern.TrimEnd('.'), host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when a Gateway server host (<c>namespace/dnsName</c>; no namespace means <c>*/</c>, <c>.</c> the Gateway's)
    /// admits <paramref name="host"/> from a VirtualService in <paramref name="virtualServiceNamespace"/>.
    /// </summary>
    public static bool Admits(string serverHost, string gatewayNamespace, string virtualServiceNamespace, string host)
    {
        var slash = serverHost.IndexOf('/');
        var ns = slash < 0 ? "*" : serverHost[..slash];
        var dnsName = slash < 0 ? serverHost : serverHost[(slash + 1)..];
        var namespaceAdmitted = ns switch
        {
            "*" => true,
            "." => virtualServiceNamespace == gatewayNamespace,
            _ => virtualServiceNamespace == ns,
        };
        return namespaceAdmitted && Covers(dnsName, host);
    }
}
