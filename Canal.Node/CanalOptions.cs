using System.CommandLine;
using Canal.Dns;
using Canal.Istio;

namespace Canal.Node;

/// <summary>The options every command that plans redirects shares, and their validation.</summary>
internal sealed class CanalOptions
{
    public Option<string> Mode { get; } = new("--mode")
    {
        Description = "How redirects are written: auto (hosts unless the cluster block has its own hosts or imports files), rewrite, hosts, or custom (the lines for an imported coredns-custom file).",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string> ClusterDomain { get; } = new("--cluster-domain")
    {
        Description = "The cluster's DNS domain; short hosts are completed in it.",
        DefaultValueFactory = _ => "cluster.local",
    };

    public Option<string> GatewaySelector { get; } = new("--gateway-selector")
    {
        Description = "Labels of the canal gateway's pods (k=v[,k=v]); Gateways selecting them are canal gateways.",
        DefaultValueFactory = _ => "app=canal-gateway",
    };

    public Option<string[]> GatewayClass { get; } = new("--gateway-class")
    {
        Description = "Gateway API: a gatewayClassName whose Gateways are canal gateways (repeatable; default canal).",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> DefaultExportTo { get; } = new("--default-export-to")
    {
        Description = "The mesh's defaultVirtualServiceExportTo, comma-separated (*, ., ~ or namespaces): where a VirtualService without exportTo is visible.",
        DefaultValueFactory = _ => "*",
    };

    public Option<string> Coverage { get; } = new("--coverage")
    {
        Description = "Which names are redirected by what the gateway does with their requests: any (any of them routed to the name; partial and shared are warned about) or full (every request routed to the name itself).",
        DefaultValueFactory = _ => "any",
    };

    public bool TryRead(ParseResult result, out RedirectOptions options, out DnsMode mode, out string error)
    {
        options = new RedirectOptions();
        error = "";
        var modeName = Enum.GetNames<DnsMode>().FirstOrDefault(n => n.Equals(result.GetValue(Mode), StringComparison.OrdinalIgnoreCase));
        mode = modeName == null ? default : Enum.Parse<DnsMode>(modeName);
        if (modeName == null)
        {
            error = $"--mode {result.GetValue(Mode)} is not a mode; use auto, rewrite, hosts or custom";
            return false;
        }
        options = Redirects(result.GetValue(ClusterDomain)!, result.GetValue(GatewaySelector)!, result.GetValue(DefaultExportTo)!, result.GetValue(GatewayClass) ?? [], result.GetValue(Coverage)!, out error) ?? new RedirectOptions();
        return error.Length == 0;
    }

    /// <summary>
    /// The cluster domain (normalised), gateway selector, default exportTo and coverage policy as <c>render</c> and <c>run</c> take
    /// them, or null and an <paramref name="error"/> naming the option to fix.
    /// </summary>
    /// <param name="gatewayClasses">None: the default (<c>canal</c>).</param>
    public static RedirectOptions? Redirects(string clusterDomain, string gatewaySelector, string defaultExportTo, IReadOnlyList<string> gatewayClasses, string coverage, out string error)
    {
        error = "";
        if (!Enum.TryParse<CoveragePolicy>(coverage, ignoreCase: true, out var policy) || !Enum.IsDefined(policy))
        {
            error = $"--coverage {HostName.Quote(coverage)} is not a coverage policy; use any or full";
            return null;
        }
        if (gatewayClasses.FirstOrDefault(c => !HostName.IsValidDomain(c)) is { } badClass)
        {
            error = $"--gateway-class {HostName.Quote(badClass)} is not a GatewayClass name";
            return null;
        }
        var domain = clusterDomain.Trim().TrimEnd('.').ToLowerInvariant();
        if (!HostName.IsValidDomain(domain))
        {
            error = $"--cluster-domain {HostName.Quote(clusterDomain)} is not a DNS name such as cluster.local";
            return null;
        }
        var exportTo = defaultExportTo.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var bad = exportTo.Length == 0
            ? defaultExportTo
            : exportTo.FirstOrDefault(e => e is not ("*" or "." or "~") && (!HostName.IsValidDomain(e) || e.Contains('.')));
        if (bad != null)
        {
            error = $"--default-export-to {HostName.Quote(bad)} is not *, ., ~ or a namespace";
            return null;
        }
        try
        {
            var options = new RedirectOptions { ClusterDomain = domain, GatewayWorkload = RedirectOptions.ParseSelector(gatewaySelector), DefaultExportTo = exportTo, Coverage = policy };
            return gatewayClasses.Count > 0 ? options with { GatewayClasses = gatewayClasses } : options;
        }
        catch (FormatException e)
        {
            error = $"--gateway-selector: {e.Message}";
            return null;
        }
    }
}
