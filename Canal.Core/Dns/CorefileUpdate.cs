using Canal.Istio;

namespace Canal.Dns;

/// <summary>The Corefile with Canal's section rendered, the mode actually used, and the plan as rendered.</summary>
public sealed record CorefileUpdate(string Text, DnsMode Mode, RedirectPlan Plan, IReadOnlyList<string> Warnings)
{
    /// <summary>Whether a server block has <c>reload</c> (it reloads the whole Corefile); null in custom mode, where Canal does not see the Corefile.</summary>
    public bool? Reloads => Reload != null ? true : Mode == DnsMode.Custom ? null : false;

    /// <summary>The first <c>reload</c>'s schedule; null without one, and in custom mode.</summary>
    public ReloadSchedule? Reload { get; init; }

    /// <summary>The write marker the section answers (<see cref="WriteMarker"/>), sent where the first redirect goes; null when nothing is redirected.</summary>
    public Redirect? Marker { get; init; }

    /// <summary>The port of the cluster block's <c>prometheus</c> (CoreDNS's metrics) when others can reach it; null without, and in custom mode.</summary>
    public int? MetricsPort { get; init; }

    /// <summary>Rewrite rules are evaluated one by one on every query; past this many, say so.</summary>
    public const int RewriteWarningThreshold = 1000;

    /// <summary>
    /// Renders <paramref name="plan"/> into <paramref name="corefile"/>, with <paramref name="marker"/> (a
    /// <see cref="WriteMarker"/> name) when there is one. Throws <see cref="CorefileException"/> when the Corefile is
    /// malformed, has no cluster block, or cannot take the requested mode.
    /// </summary>
    public static CorefileUpdate Apply(string corefile, RedirectPlan plan, DnsMode mode, string clusterDomain, string? marker = null)
    {
        plan = plan.Block(r => WriteMarker.InZone(r.Host, clusterDomain) ? $"is under {WriteMarker.Zone}.{clusterDomain}, the names Canal keeps for its write markers" : null);
        if (mode == DnsMode.Custom)
            return ApplyCustom(plan, clusterDomain, marker);
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
        // reload in any server block reloads the whole Corefile.
        var reload = parsed.ServerBlocks.SelectMany(b => parsed.ExpandedDirectives(b)).FirstOrDefault(d => d.Name == "reload");
        if (reload == null)
            warnings.Add("the Corefile has no 'reload' directive: CoreDNS applies Canal's changes only when it restarts");

        plan = plan.Block(r => SectionRenderer.CannotRender(mode, r, clusterDomain));
        var markerRedirect = MarkerOf(plan, marker);
        var text = CorefileEditor.ReplaceSection(parsed, blocks, clusterDomain, SectionRenderer.Render(mode, plan.Redirects, markerRedirect));
        if (mode == DnsMode.Rewrite && plan.Redirects.Count > RewriteWarningThreshold)
            warnings.Add($"{plan.Redirects.Count} rewrite rules: CoreDNS checks each on every query, which slows every lookup; hosts mode stays flat");
        return new CorefileUpdate(text, mode, plan, warnings)
        {
            Reload = reload == null ? null : ReloadSchedule.Of(reload.Arguments),
            Marker = markerRedirect,
            MetricsPort = blocks.Select(b => b.MetricsPort).FirstOrDefault(p => p != null),
        };
    }

    /// <summary>
    /// custom mode: the whole text is Canal's (a key of its own in the imported ConfigMap), so it is rendered
    /// from scratch; checked by parsing it as the body of a server block, which is how CoreDNS imports it.
    /// </summary>
    private static CorefileUpdate ApplyCustom(RedirectPlan plan, string clusterDomain, string? marker)
    {
        plan = plan.Block(r => SectionRenderer.CannotRender(DnsMode.Rewrite, r, clusterDomain));
        var markerRedirect = MarkerOf(plan, marker);
        var text = plan.Redirects.Count == 0 ? "" : CorefileEditor.Render(SectionRenderer.Render(DnsMode.Rewrite, plan.Redirects, markerRedirect), "", "\n");
        Corefile.Parse($".:53 {{\n{text}}}\n");
        return new CorefileUpdate(text, DnsMode.Custom, plan, []) { Marker = markerRedirect };
    }

    /// <summary>The marker as a redirect to where the plan's first host goes: a gateway every mode can answer.</summary>
    private static Redirect? MarkerOf(RedirectPlan plan, string? marker) =>
        marker == null || plan.Redirects.Count == 0 ? null : plan.Redirects.MinBy(r => r.Host, StringComparer.Ordinal)! with { Host = marker };


    /// <summary>The lines between Canal's markers in <paramref name="text"/> (a Corefile or a custom file), trimmed.</summary>
    public static IReadOnlyList<string> SectionLines(string text)
    {
        var lines = new List<string>();
        var inSection = false;
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith(CorefileEditor.BeginMarker, StringComparison.Ordinal))
                inSection = true;
            else if (line.StartsWith(CorefileEditor.EndMarker, StringComparison.Ordinal))
                inSection = false;
            else if (inSection && line.Length > 0)
                lines.Add(line);
        }
        return lines;
    }

    /// <summary>
    /// The lines of Canal's section shaped as redirects, in order: a rewrite's host and target name (<c>Rewrite</c>), or a
    /// two-word line's second and first word (a hosts entry's name and address, unchecked: the reader decides).
    /// </summary>
    public static IEnumerable<(string Host, string Target, bool Rewrite)> SectionRedirects(string text) =>
        SectionLines(text).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(words => words switch
        {
            ["rewrite", "name", "exact", var host, var target] => (host, target, true),
            [var address, var name] => (name, address, false),
            _ => ("", "", false),
        }).Where(r => r.Item1.Length > 0);

    /// <summary>The hosts Canal's section (or custom file) in <paramref name="text"/> redirects now.</summary>
    public static IReadOnlySet<string> RedirectedHosts(string text) =>
        new SortedSet<string>(PropagationCheck.Entries(text).Keys, StringComparer.Ordinal);

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
