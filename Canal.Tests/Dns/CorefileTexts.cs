using Canal.Dns;
using Canal.Istio;

namespace Canal.Tests.Dns;

/// <summary>
/// What the Corefile tests share: fixtures, plans, and a reading of Canal's sections that relies on the
/// marker lines alone, so the tests do not trust the parser they check.
/// </summary>
internal static class CorefileTexts
{
    public const string ClusterDomain = "cluster.local";
    public const string Gateway = "canal.istio-system.svc.cluster.local";
    public const string GatewayIp = "10.96.0.100";
    public const string GatewayIpV6 = "fd00:10:96::100";

    public static RedirectPlan EmptyPlan { get; } = new([], []);

    public static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Corefiles", name));

    /// <summary>One redirect per host to the gateway's ClusterIP(s), each host also decided as redirected.</summary>
    public static RedirectPlan Plan(IEnumerable<string> hosts, params string[] ips)
    {
        var list = hosts.ToList();
        return new RedirectPlan(
            [.. list.Select(h => new Redirect(h, Gateway, ips.Length == 0 ? [GatewayIp] : ips))],
            [.. list.Select(h => new HostDecision(h, HostStatus.Redirected, $"-> {Gateway}", null, []))]);
    }

    public static string[] ExpectedRewrite(IEnumerable<string> hosts) =>
        [.. hosts.Order(StringComparer.Ordinal).Select(h => $"rewrite name exact {h} {Gateway}")];

    public static string[] ExpectedHosts(IEnumerable<(string Ip, string Host)> entries) =>
        entries.Any()
            ? ["hosts {", .. entries.OrderBy(e => e.Host, StringComparer.Ordinal).ThenBy(e => e.Ip, StringComparer.Ordinal).Select(e => $"{e.Ip} {e.Host}"),
               "ttl 5", "no_reverse", "fallthrough", "}"]
            : [];

    /// <summary>The text with every section (begin-marker line to end-marker line, both included) cut out.</summary>
    public static string Strip(string text)
    {
        var kept = new System.Text.StringBuilder();
        var inSection = false;
        foreach (var line in Lines(text))
        {
            var content = line.TrimStart();
            if (content.StartsWith(CorefileEditor.BeginMarker, StringComparison.Ordinal))
                inSection = true;
            if (!inSection)
                kept.Append(line);
            if (content.StartsWith(CorefileEditor.EndMarker, StringComparison.Ordinal))
                inSection = false;
        }
        return kept.ToString();
    }

    /// <summary>Each section's lines, markers included, with their line terminators.</summary>
    public static List<List<string>> Sections(string text)
    {
        var sections = new List<List<string>>();
        List<string>? current = null;
        foreach (var line in Lines(text))
        {
            var content = line.TrimStart();
            if (content.StartsWith(CorefileEditor.BeginMarker, StringComparison.Ordinal))
                sections.Add(current = []);
            current?.Add(line);
            if (content.StartsWith(CorefileEditor.EndMarker, StringComparison.Ordinal))
                current = null;
        }
        return sections;
    }

    /// <summary>The lines between the markers, trimmed.</summary>
    public static string[] Body(List<string> section) =>
        [.. section.Skip(1).SkipLast(1).Select(l => l.Trim())];

    public static string Indentation(string line) => line[..(line.Length - line.TrimStart().Length)];

    /// <summary>Splits after each '\n', keeping it (and a '\r' before it) on its line.</summary>
    public static IEnumerable<string> Lines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var newline = text.IndexOf('\n', start);
            var end = newline < 0 ? text.Length : newline + 1;
            yield return text[start..end];
            start = end;
        }
    }

    /// <summary>
    /// Asserts what a user reading the new Corefile sees: it parses, every cluster block has exactly one
    /// section holding <paramref name="expected"/> in the block's own indentation and line endings, and nothing
    /// outside the sections changed by a single byte.
    /// </summary>
    public static void AssertRendered(string original, string output, string[] expected, int clusterBlocks)
    {
        var blocks = CorefileEditor.FindClusterBlocks(Corefile.Parse(output), ClusterDomain);
        Assert.Equal(clusterBlocks, blocks.Count);
        Assert.All(blocks, b => Assert.Equal(expected.Length == 0 ? 0 : 1, b.Sections.Count));
        Assert.Equal(Strip(original), Strip(output));

        var sections = Sections(output);
        if (expected.Length == 0)
        {
            Assert.Empty(sections);
            return;
        }
        Assert.Equal(clusterBlocks, sections.Count);
        var newLine = original.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        foreach (var section in sections)
        {
            Assert.Equal(expected, Body(section));
            Assert.All(section, l => Assert.EndsWith(newLine, l, StringComparison.Ordinal));
            Assert.All(section, l => Assert.DoesNotContain("\r", l.TrimEnd('\n').TrimEnd('\r'), StringComparison.Ordinal));
            // Markers, rewrite rules and the hosts braces share the section's indentation; hosts entries sit deeper.
            var indent = Indentation(section[0]);
            foreach (var line in section)
            {
                var content = line.Trim();
                if (content.StartsWith('#') || content.StartsWith("rewrite ", StringComparison.Ordinal) || content is "hosts {" or "}")
                    Assert.Equal(indent, Indentation(line));
                else
                    Assert.True(Indentation(line).Length > indent.Length && Indentation(line).StartsWith(indent, StringComparison.Ordinal), $"'{line}' is not nested below '{indent}'");
            }
        }
    }
}
