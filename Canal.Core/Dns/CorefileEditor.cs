using Canal.Istio;

namespace Canal.Dns;

/// <summary>A line of Canal's section; <see cref="Depth"/> is its nesting below the section's own indentation.</summary>
public sealed record SectionLine(int Depth, string Text);

/// <summary>
/// Replaces Canal's section (between <c># canal:begin</c> and <c># canal:end</c>) in every server block
/// whose <c>kubernetes</c> directive serves the cluster domain. Every byte outside the section is kept;
/// the section is created on first use and removed when empty; the result is parsed again before it is returned.
/// </summary>
internal static class CorefileEditor
{
    public const string BeginMarker = "# canal:begin";
    public const string EndMarker = "# canal:end";
    private const string BeginLine = BeginMarker + " (managed by Canal: lines up to canal:end are rewritten)";

    /// <summary>The blocks Canal edits, with their current section and whether they have a <c>hosts</c> of their own.</summary>
    public static IReadOnlyList<ClusterBlock> FindClusterBlocks(Corefile corefile, string clusterDomain)
    {
        var found = new List<ClusterBlock>();
        foreach (var block in corefile.ServerBlocks)
        {
            var directives = corefile.ExpandedDirectives(block).ToList();
            if (!directives.Any(d => d.Name == "kubernetes" && Zones(d, block).Contains(clusterDomain)))
                continue;
            var sections = FindSections(corefile.Text, block);
            var foreignHosts = directives.FirstOrDefault(d => d.Name == "hosts" && !sections.Any(s => d.Start >= s.Start && d.Start < s.End));
            // Snippet imports are expanded above; an import left is of files CoreDNS reads (AKS's and k3s's customisation).
            var fileImport = directives.FirstOrDefault(d => d.Name == "import");
            var prometheus = directives.FirstOrDefault(d => d.Name == "prometheus");
            found.Add(new ClusterBlock(block, sections, foreignHosts?.Line, fileImport?.Line, prometheus == null ? null : MetricsPort(prometheus)));
        }
        return found;
    }

    /// <summary>
    /// Writes <paramref name="body"/> as the section of every one of <paramref name="blocks"/> (found by
    /// <see cref="FindClusterBlocks"/>; none when the body is empty) and returns the new text.
    /// </summary>
    public static string ReplaceSection(Corefile corefile, IReadOnlyList<ClusterBlock> blocks, string clusterDomain, IReadOnlyList<SectionLine> body)
    {
        var text = corefile.Text;
        var edits = new List<(int Start, int End, string Replacement)>();
        foreach (var block in blocks)
        {
            var section = body.Count == 0 ? "" : Render(body, Indent(text, block), corefile.NewLine);
            if (block.Sections.Count > 0)
            {
                edits.Add((block.Sections[0].Start, block.Sections[0].End, section));
                edits.AddRange(block.Sections.Skip(1).Select(s => (s.Start, s.End, "")));
            }
            else if (section.Length > 0)
            {
                edits.Add(Insertion(text, block.Block, section, corefile.NewLine));
            }
        }

        foreach (var (start, end, replacement) in edits.OrderByDescending(e => e.Start))
            text = string.Concat(text.AsSpan(0, start), replacement, text.AsSpan(end));
        Verify(corefile, blocks, text, clusterDomain, body);
        return text;
    }

    /// <summary>The section's lines as written, without markers, for display and comparison.</summary>
    public static IReadOnlyList<string> SectionText(string text, ClusterBlock block) =>
        block.Sections.Count == 0
            ? []
            : [.. text[block.Sections[0].Start..block.Sections[0].End].Split('\n').Select(l => l.TrimEnd('\r').Trim())
                .Where(l => l.Length > 0 && !l.StartsWith(BeginMarker, StringComparison.Ordinal) && !l.StartsWith(EndMarker, StringComparison.Ordinal))];

    /// <summary>
    /// The port of <c>prometheus ADDRESS</c> when others can reach it: null for loopback, which is also CoreDNS's
    /// default (<c>localhost:9153</c>), and for an address that cannot be read.
    /// </summary>
    private static int? MetricsPort(Directive prometheus)
    {
        if (prometheus.Arguments is not [var address, ..])
            return null;
        var colon = address.LastIndexOf(':');
        var host = colon < 0 ? address : address[..colon].Trim('[', ']');
        if (HostName.IsLoopback(host))
            return null;
        return colon >= 0 && int.TryParse(address[(colon + 1)..], out var port) && port is > 0 and < 65536 ? port : null;
    }

    private static IEnumerable<string> Zones(Directive kubernetes, ServerBlock block)
    {
        var zones = kubernetes.Arguments.Count > 0 ? kubernetes.Arguments : block.Keys;
        return zones.Select(NormalizeZone);
    }

    private static string NormalizeZone(string zone)
    {
        var scheme = zone.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
            zone = zone[(scheme + 3)..];
        var port = zone.LastIndexOf(':');
        if (port >= 0)
            zone = zone[..port];
        return zone.Length > 1 ? zone.TrimEnd('.').ToLowerInvariant() : zone;
    }

    private static List<SectionRange> FindSections(string text, ServerBlock block)
    {
        var sections = new List<SectionRange>();
        int? begin = null;
        foreach (var comment in block.Comments.Where(c => StartsLine(text, c.Start)))
        {
            if (comment.Value.StartsWith(BeginMarker, StringComparison.Ordinal))
            {
                if (begin != null)
                    throw new CorefileException($"'{BeginMarker}' appears again before '{EndMarker}'; remove the extra marker", comment.Line);
                begin = LineStart(text, comment.Start);
            }
            else if (comment.Value.StartsWith(EndMarker, StringComparison.Ordinal))
            {
                if (begin == null)
                    throw new CorefileException($"'{EndMarker}' without '{BeginMarker}' before it in the same block; remove the stray marker", comment.Line);
                sections.Add(new SectionRange(begin.Value, LineEnd(text, comment.End)));
                begin = null;
            }
        }
        if (begin != null)
            throw new CorefileException($"'{BeginMarker}' has no '{EndMarker}' after it in the same block; add the end marker or remove the section", LineNumber(text, begin.Value));
        return sections;
    }

    private static string Indent(string text, ClusterBlock block)
    {
        var anchor = block.Sections.Count > 0
            ? block.Sections[0].Start + text.AsSpan(block.Sections[0].Start).IndexOf('#')
            : block.Block.Directives.Select(d => d.Start).FirstOrDefault(s => StartsLine(text, s), -1);
        return anchor < 0 ? "    " : text[LineStart(text, anchor)..anchor];
    }

    /// <summary>The section with its markers, each line prefixed by <paramref name="indent"/>.</summary>
    public static string Render(IReadOnlyList<SectionLine> body, string indent, string newLine)
    {
        var unit = indent.Length > 0 ? indent : "    ";
        var sb = new System.Text.StringBuilder();
        sb.Append(indent).Append(BeginLine).Append(newLine);
        foreach (var line in body)
            sb.Append(indent).Append(string.Concat(Enumerable.Repeat(unit, line.Depth))).Append(line.Text).Append(newLine);
        sb.Append(indent).Append(EndMarker).Append(newLine);
        return sb.ToString();
    }

    // The section goes last in the block: right before the closing brace's line when that line holds
    // nothing else, otherwise on a line of its own in front of the brace.
    private static (int, int, string) Insertion(string text, ServerBlock block, string section, string newLine)
    {
        var close = block.CloseBrace;
        var lineStart = LineStart(text, close);
        if (lineStart > block.OpenBrace && string.IsNullOrWhiteSpace(text[lineStart..close]) && (close < text.Length || lineStart == close))
            return (lineStart, lineStart, section);
        return (close, close, newLine + section);
    }

    private static void Verify(Corefile before, IReadOnlyList<ClusterBlock> oldBlocks, string after, string clusterDomain, IReadOnlyList<SectionLine> body)
    {
        Corefile parsed;
        try
        {
            parsed = Corefile.Parse(after);
        }
        catch (CorefileException e)
        {
            throw new InvalidOperationException($"Canal produced a Corefile that does not parse ({e.Message}); nothing was written", e);
        }
        var newBlocks = FindClusterBlocks(parsed, clusterDomain);
        var expected = body.Select(l => l.Text.Trim()).ToList();
        if (newBlocks.Count != oldBlocks.Count
            || newBlocks.Any(b => !SectionText(after, b).SequenceEqual(expected))
            || Outside(before.Text, oldBlocks) != Outside(after, newBlocks))
            throw new InvalidOperationException("Canal's edit changed more than its own section; nothing was written");
    }

    private static string Outside(string text, IReadOnlyList<ClusterBlock> blocks)
    {
        var ranges = blocks.SelectMany(b => b.Sections).OrderByDescending(s => s.Start);
        foreach (var range in ranges)
            text = text.Remove(range.Start, range.End - range.Start);
        return text.Replace("\r\n", "\n").Replace("\n", "").Replace(" ", "").Replace("\t", "");
    }

    private static bool StartsLine(string text, int offset) =>
        string.IsNullOrWhiteSpace(text[LineStart(text, offset)..offset]);

    private static int LineStart(string text, int offset) => offset == 0 ? 0 : text.LastIndexOf('\n', offset - 1) + 1;

    private static int LineEnd(string text, int offset)
    {
        var newline = text.IndexOf('\n', offset);
        return newline < 0 ? text.Length : newline + 1;
    }

    private static int LineNumber(string text, int offset) => text.AsSpan(0, offset).Count('\n') + 1;
}

/// <summary>
/// A server block serving the cluster domain, Canal's sections in it, the line of a <c>hosts</c> not Canal's,
/// the line of an <c>import</c> of files, and whether CoreDNS reloads it when it changes.
/// </summary>
/// <param name="MetricsPort">Where the block's <c>prometheus</c> serves CoreDNS's metrics; null without one.</param>
internal sealed record ClusterBlock(ServerBlock Block, IReadOnlyList<SectionRange> Sections, int? ForeignHostsLine, int? FileImportLine, int? MetricsPort);

/// <summary>Whole lines from the begin marker's line start to just past the end marker's newline.</summary>
internal sealed record SectionRange(int Start, int End);
