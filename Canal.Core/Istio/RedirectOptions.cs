namespace Canal.Istio;

/// <summary>What makes a Gateway a canal gateway, and the cluster domain hosts are completed in.</summary>
public sealed record RedirectOptions
{
    public static readonly IReadOnlyDictionary<string, string> DefaultGatewayWorkload =
        new Dictionary<string, string> { ["app"] = "canal-gateway" };

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>Labels of the canal gateway's pods; a Gateway whose selector contains them picks only canal gateway pods and is a canal gateway.</summary>
    public IReadOnlyDictionary<string, string> GatewayWorkload { get; init; } = DefaultGatewayWorkload;

    /// <summary>The mesh's <c>defaultVirtualServiceExportTo</c>: where a VirtualService without <c>exportTo</c> is visible (Istio's default: everywhere).</summary>
    public IReadOnlyList<string> DefaultExportTo { get; init; } = ["*"];

    /// <summary>Gateway API: the <c>gatewayClassName</c>s whose Gateways are canal gateways (a GatewayClass of Istio's controller).</summary>
    public IReadOnlyList<string> GatewayClasses { get; init; } = ["canal"];

    /// <summary>The gateway Service assumed, in the Gateway's namespace, when no Service there selects the Gateway's pods and none has this name.</summary>
    public string GatewayServiceName { get; init; } = "canal";

    /// <summary>Which names are redirected by what the gateway does with their traffic (<c>--coverage</c>).</summary>
    public CoveragePolicy Coverage { get; init; } = CoveragePolicy.Any;

    /// <summary>Parses <c>k=v[,k=v]</c>, as given to <c>--gateway-selector</c>.</summary>
    public static IReadOnlyDictionary<string, string> ParseSelector(string selector)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in selector.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new FormatException($"\"{pair}\" is not a label pair; write key=value[,key=value]");
            labels[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        return labels.Count > 0 ? labels : throw new FormatException("the selector is empty; write key=value[,key=value]");
    }
}

/// <summary>
/// <see cref="Any"/>: a name the gateway routes any of its requests to is redirected (partial and shared with a warning);
/// <see cref="Full"/>: only names whose every request the gateway routes to themselves. A name it routes none of is never redirected.
/// </summary>
public enum CoveragePolicy { Any, Full }
