using Canal.Istio;

namespace Canal.Dns;

/// <summary>The Corefile with Canal's section rendered, the mode actually used, and the plan as rendered.</summary>
public sealed record CorefileUpdate(string Text, DnsMode Mode, RedirectPlan Plan, IReadOnlyList<string> Warnings)
{
    /// <summary>Rewrite rules are evaluated one by one on every query; past this many, say so.</summary>
    public const int RewriteWarningThreshold = 1000;

    /// <summary>
    /// Renders <paramref name="plan"/> into <paramref name="corefile"/>. Throws <see cref="CorefileException"/>
    /// when the Corefile is malformed, has no cluster block, or cannot take the requested mode.
    /// </summary>
    public static CorefileUpdate Apply(string corefile, RedirectPlan plan, DnsMode mode, string clusterDomain)
    {
        var parsed = Corefile.Parse(corefile);
        var blocks = CorefileEditor.FindClusterBlocks(parsed, clusterDomain);
        if (blocks.Count == 0)
            throw new CorefileException($"no server block has a 'kubernetes' directive for {clusterDomain}; Canal edits only that block (check the cluster domain)");

        var warnings = new List<string>();
        var foreignHosts = blocks.FirstOrDefault(b => b.ForeignHostsLine != null)?.ForeignHostsLine;
        if (mode == DnsMode.Hosts && foreignHosts != null)
            throw new CorefileException("the cluster block already has a 'hosts' directive and CoreDNS allows one per block; use rewrite or auto mode", foreignHosts);
        var fileImport = blocks.FirstOrDefault(b => b.FileImportLine != null)?.FileImportLine;
        if (mode == DnsMode.Auto)
            mode = ChooseMode(plan, foreignHosts, fileImport, warnings);
        else if (mode == DnsMode.Hosts && fileImport != null)
            warnings.Add($"the cluster block imports files (line {fileImport}); if one of them has a 'hosts' too, CoreDNS will refuse the configuration");
        if (blocks.Any(b => !b.HasReload))
            warnings.Add("the cluster block has no 'reload' directive: CoreDNS applies Canal's changes only when it restarts");

        plan = plan.Block(r => SectionRenderer.CannotRender(mode, r, clusterDomain));
        var text = CorefileEditor.ReplaceSection(parsed, clusterDomain, SectionRenderer.Render(mode, plan.Redirects));
        if (mode == DnsMode.Rewrite && plan.Redirects.Count > RewriteWarningThreshold)
            warnings.Add($"{plan.Redirects.Count} rewrite rules: CoreDNS checks each on every query, which slows every lookup; hosts mode stays flat");
        return new CorefileUpdate(text, mode, plan, warnings);
    }

    /// <summary>The hosts Canal's section in <paramref name="corefile"/> redirects now (empty when it has none or does not parse).</summary>
    public static IReadOnlySet<string> RedirectedHosts(string corefile, string clusterDomain)
    {
        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            var parsed = Corefile.Parse(corefile);
            foreach (var block in CorefileEditor.FindClusterBlocks(parsed, clusterDomain))
            {
                foreach (var words in CorefileEditor.SectionText(corefile, block).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
                {
                    if (words is ["rewrite", "name", "exact", var host, _])
                        hosts.Add(host);
                    else if (words.Length == 2 && System.Net.IPAddress.TryParse(words[0], out _))
                        hosts.Add(words[1]);
                }
            }
        }
        catch (CorefileException)
        {
            // A Corefile Canal cannot read holds no redirects Canal can account for.
        }
        return hosts;
    }

    private static DnsMode ChooseMode(RedirectPlan plan, int? foreignHostsLine, int? fileImportLine, List<string> warnings)
    {
        if (foreignHostsLine != null)
        {
            warnings.Add($"auto mode chose rewrite: the cluster block has its own 'hosts' (line {foreignHostsLine}) and CoreDNS allows one per block");
            return DnsMode.Rewrite;
        }
        if (fileImportLine != null)
        {
            // A customisation file (AKS's coredns-custom *.override) may hold a hosts of its own; two would stop CoreDNS.
            warnings.Add($"auto mode chose rewrite: the cluster block imports files (line {fileImportLine}) that may hold a 'hosts' of their own");
            return DnsMode.Rewrite;
        }
        if (plan.Redirects.FirstOrDefault(r => r.TargetIPs.Count == 0) is { } unknown)
        {
            warnings.Add($"auto mode chose rewrite: the ClusterIP of {unknown.TargetFqdn} is not known");
            return DnsMode.Rewrite;
        }
        return DnsMode.Hosts;
    }
}
