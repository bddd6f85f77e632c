using Canal.Dns;
using Canal.Istio;
using CsCheck;
using static Canal.Tests.Dns.CorefileTexts;

namespace Canal.Tests.Dns;

/// <summary>
/// Random Corefiles (extra server blocks, snippets, nested blocks, comments, quoted strings with braces,
/// placeholders, CRLF or LF, tabs or spaces, stale sections) around one or two cluster blocks, and random
/// redirect sets: whatever the layout, Canal's edit reads back exactly, touches nothing else, is idempotent
/// and can be undone.
/// </summary>
public sealed class CorefilePropertyTests
{
    private const long Iterations = 400;

    /// <summary>A line of the Corefile: a directive (with a block when <see cref="Children"/> is set), a comment or a blank.</summary>
    private sealed record Node(string Head, Node[]? Children, string Trail);

    private sealed record Block(string Keys, Node[] Items, string CloseIndent, string CloseTrail);

    /// <summary>A generated Corefile and what the test knows about it.</summary>
    private sealed record Case(string Text, int ClusterBlocks, bool OwnHosts, bool Stale)
    {
        public override string ToString() => HostName.Quote(Text).Replace("\\n", "\\n\n", StringComparison.Ordinal);
    }

    private static readonly Gen<string> Word =
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789.-_/:*"].Array[1, 8].Select(a => new string(a));

    private static readonly Gen<string> Quoted =
        Gen.OneOf("a", "b", " ", "{", "}", "#", "{{ .Name }}", "\\\"", "\\d", "\n", "$", "(.*)\\.", "{$X}")
            .Array[0, 5]
            .Select(parts => string.Concat(parts))
            // A quoted "{" or "}" on its own is a brace to CoreDNS; keep it a string.
            .Select(s => s is "{" or "}" ? s + "x" : s)
            .Select(s => $"\"{s}\"");

    private static readonly Gen<string> Arg = Gen.Frequency(
        (6, Word),
        (2, Quoted),
        (1, Gen.OneOf("{$UPSTREAM}", "{1}", "{%WIN%}", "{remote}", "{$A}{$B}")),
        (1, Word.Select(w => w + "#glued{")));

    private static readonly Gen<string> Name =
        Gen.OneOf("errors", "log", "cache", "forward", "health", "ready", "prometheus", "template", "rewrite", "loop", "reload", "loadbalance", "whoami", "file", "acl", "view");

    private static readonly Gen<string> CommentText =
        Gen.Char["abcxyz {}\"#$\\()"].Array[0, 12].Select(a => "#" + new string(a));

    private static readonly Gen<string> Trail = Gen.Frequency(
        (8, Gen.Const("")),
        (2, Gen.OneOf(" ", "\t", "  ")),
        (2, CommentText.Select(c => " " + c)));

    private static readonly Gen<Node> Comment = Gen.Select(CommentText, Trail, (c, t) => new Node(c, null, t));

    private static readonly Gen<Node> Blank = Gen.OneOf("", " ", "\t").Select(t => new Node("", null, t));

    private static readonly Node[] K8sOptions = [new("pods insecure", null, ""), new("fallthrough in-addr.arpa ip6.arpa", null, ""), new("ttl 30", null, "")];

    private static readonly Gen<Node> OwnHosts = Gen.OneOf(
        new Node("hosts", [new("192.168.49.1 host.minikube.internal", null, ""), new("fallthrough", null, "")], ""),
        new Node("hosts /etc/coredns/NodeHosts", [new("ttl 60", null, ""), new("reload 15s", null, ""), new("fallthrough", null, "")], ""),
        new Node("hosts /etc/hosts", null, ""));

    private static readonly Gen<Node[]> StaleSection =
        Gen.Select(HostSet, Gen.Bool, (hosts, asHosts) => (Node[])
        [
            new(CorefileEditor.BeginMarker + " (managed by Canal: lines up to canal:end are rewritten)", null, ""),
            .. asHosts
                ? [new Node("hosts", [.. hosts.Select(h => new Node($"10.0.0.9 {h}", null, "")), new("fallthrough", null, "")], "")]
                : hosts.Select(h => new Node($"rewrite name exact {h} old.istio-system.svc.cluster.local", null, "")),
            new(CorefileEditor.EndMarker, null, ""),
        ]);

    private static Gen<string> Label => Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[1, 10].Select(a => new string(a));

    /// <summary>Unique valid names in the cluster domain, as the planner would hand them over.</summary>
    private static Gen<string[]> HostSet =>
        Gen.Select(Label, Gen.OneOf("default", "bookinfo", "istio-system", "a-b"), Gen.OneOf("svc.cluster.local", "pod.cluster.local", "cluster.local"),
                (label, ns, suffix) => $"{label}.{ns}.{suffix}")
            .Array[0, 8]
            .Select(hosts => hosts.Distinct().ToArray());

    private static Gen<Node> Item(int depth) => Gen.Frequency(
        (6, Directive(depth)),
        (1, Comment),
        (1, Blank));

    private static Gen<Node> Directive(int depth) =>
        from name in Name
        from args in Arg.Array[0, 3]
        from trail in Trail
        from children in depth < 3
            ? Gen.Frequency((3, Gen.Const((Node[]?)null)), (1, Gen.Int[0, 3].SelectMany(n => Item(depth + 1).Array[n]).Select(a => (Node[]?)a)))
            : Gen.Const((Node[]?)null)
        select new Node(string.Join(' ', [name, .. args]), children, trail);

    private static Gen<(Block Block, bool OwnHosts, bool Stale)> ClusterBlock(string port, bool viaSnippet) =>
        from keys in Gen.Int[0, 3]
        from before in Item(1).Array[0, 4]
        from after in Item(1).Array[0, 4]
        from k8sBlock in Gen.Bool
        from k8sTrail in Trail
        from hosts in Gen.Frequency((3, Gen.Const((Node?)null)), (1, OwnHosts.Select(h => (Node?)h)))
        from stale in Gen.Frequency((3, Gen.Const((Node[]?)null)), (1, StaleSection.Select(s => (Node[]?)s)))
        from stalePosition in Gen.Int[0, 100]
        from close in Gen.OneOf(("", ""), ("", " # end of the cluster block {"), ("  ", ""), ("", " "))
        let key = keys switch { 0 => $".:{port}", 1 => $"dns://.:{port}", 2 => port == "53" ? "." : $".:{port}", _ => $"cluster.local:{port}" }
        let zones = keys == 3 ? "" : " cluster.local in-addr.arpa ip6.arpa"
        let kubernetes = viaSnippet ? new Node("import k8s", null, k8sTrail) : new Node("kubernetes" + zones, k8sBlock ? K8sOptions : null, k8sTrail)
        let items = Place(Place([.. before, kubernetes, .. after], hosts is null ? [] : [hosts], stalePosition / 2), stale ?? [], stalePosition)
        select (new Block(key, items, close.Item1, close.Item2), hosts != null, stale != null);

    private static Node[] Place(Node[] items, Node[] inserted, int position)
    {
        var at = position % (items.Length + 1);
        return [.. items[..at], .. inserted, .. items[at..]];
    }

    private static readonly Gen<Block> ExtraBlock =
        from keys in Gen.OneOf("example.org:53", "consul:53", "other.local:53", "10.in-addr.arpa:53", "example.com example.net:53", "example.io:53,\n  example.dev:53")
        from items in Item(1).Array[0, 5]
        from extra in Gen.OneOf<Node[]>([], [new("kubernetes other.local", null, "")], [new("hosts", [new("10.0.0.1 gw.example.org", null, ""), new("fallthrough", null, "")], "")], [new("import opts", null, "")])
        select new Block(keys, [.. items, .. extra], "", "");

    private static readonly Gen<Case> Corefiles =
        from clusterBlocks in Gen.Frequency((4, Gen.Const(1)), (1, Gen.Const(2)))
        from viaSnippet in Gen.Bool
        from first in ClusterBlock("53", viaSnippet)
        from second in ClusterBlock("5353", false)
        from extras in ExtraBlock.Array[0, 3]
        from top in Gen.Frequency((3, Comment), (2, Blank), (1, Gen.Const(new Node("import custom/*.server", null, "")))).Array[0, 3]
        from opts in Item(1).Array[0, 3]
        from order in Gen.Int[0, 1000]
        from indent in Gen.OneOf("    ", "  ", "\t", " \t")
        from newLine in Gen.OneOf("\n", "\r\n")
        from finalNewLine in Gen.Frequency((5, Gen.Const(true)), (1, Gen.Const(false)))
        select Render(
            [.. clusterBlocks == 2 ? new[] { first, second } : [first]],
            viaSnippet, extras, top, opts, order, indent, newLine, finalNewLine);

    private static Case Render(
        (Block Block, bool OwnHosts, bool Stale)[] cluster, bool viaSnippet, Block[] extras, Node[] top, Node[] opts,
        int order, string indent, string newLine, bool finalNewLine)
    {
        var sb = new System.Text.StringBuilder();
        void Write(Node node, int depth)
        {
            sb.Append(string.Concat(Enumerable.Repeat(indent, depth))).Append(node.Head);
            if (node.Children != null)
                sb.Append(" {");
            sb.Append(node.Trail).Append('\n');
            if (node.Children == null)
                return;
            foreach (var child in node.Children)
                Write(child, depth + 1);
            sb.Append(string.Concat(Enumerable.Repeat(indent, depth))).Append("}\n");
        }
        void WriteBlock(Block block)
        {
            sb.Append(block.Keys).Append(" {\n");
            foreach (var item in block.Items)
                Write(item, 1);
            sb.Append(block.CloseIndent).Append('}').Append(block.CloseTrail).Append('\n');
        }

        if (viaSnippet)
            WriteBlock(new Block("(k8s)", [new("kubernetes cluster.local in-addr.arpa ip6.arpa", K8sOptions, "")], "", ""));
        WriteBlock(new Block("(opts)", opts, "", ""));
        var blocks = extras.Concat(cluster.Select(c => c.Block)).ToList();
        var rotated = blocks.Skip(order % blocks.Count).Concat(blocks.Take(order % blocks.Count));
        foreach (var (block, i) in rotated.Select((b, i) => (b, i)))
        {
            if (i < top.Length)
                Write(top[i], 0);
            WriteBlock(block);
        }
        foreach (var node in top.Skip(blocks.Count))
            Write(node, 0);

        var text = sb.ToString();
        if (!finalNewLine)
            text = text.TrimEnd('\n');
        return new Case(text.Replace("\n", newLine, StringComparison.Ordinal), cluster.Length, cluster.Any(c => c.OwnHosts), cluster.Any(c => c.Stale));
    }

    private static readonly Gen<RedirectPlan> Plans =
        from hosts in HostSet
        from ipCount in Gen.Int[1, 2]
        from a in Gen.Int[0, 255]
        from b in Gen.Int[1, 254]
        from v6 in Gen.Int[1, 0xfff]
        select Plan(hosts, [.. new[] { $"10.96.{a}.{b}", $"fd00:10:96::{v6:x}" }.Take(ipCount)]);

    private static readonly Gen<DnsMode> Modes = Gen.OneOf(DnsMode.Rewrite, DnsMode.Hosts, DnsMode.Auto);

    [Fact]
    public void A_rendered_section_parses_reads_back_exactly_and_touches_nothing_else()
    {
        Gen.Select(Corefiles, Plans, Modes).Sample((corefile, plan, mode) =>
        {
            var original = corefile.Text;
            if (mode == DnsMode.Hosts && corefile.OwnHosts)
            {
                Assert.Throws<CorefileException>(() => CorefileUpdate.Apply(original, plan, mode, ClusterDomain));
                mode = DnsMode.Auto;
            }

            var update = CorefileUpdate.Apply(original, plan, mode, ClusterDomain);

            Assert.Equal(mode != DnsMode.Auto ? mode : corefile.OwnHosts ? DnsMode.Rewrite : DnsMode.Hosts, update.Mode);
            var hosts = plan.Redirects.Select(r => r.Host).ToList();
            var expected = update.Mode == DnsMode.Rewrite
                ? ExpectedRewrite(hosts)
                : ExpectedHosts(plan.Redirects.SelectMany(r => r.TargetIPs.Select(ip => (ip, r.Host))));
            AssertRendered(original, update.Text, expected, corefile.ClusterBlocks);
        }, iter: Iterations, threads: 1, print: Print);
    }

    [Fact]
    public void Rendering_is_idempotent_and_the_empty_plan_undoes_it()
    {
        Gen.Select(Corefiles, Plans, Modes).Sample((corefile, plan, mode) =>
        {
            mode = corefile.OwnHosts ? DnsMode.Rewrite : mode;

            var once = CorefileUpdate.Apply(corefile.Text, plan, mode, ClusterDomain).Text;

            Assert.Equal(once, CorefileUpdate.Apply(once, plan, mode, ClusterDomain).Text);
            Assert.Equal(Strip(corefile.Text), CorefileUpdate.Apply(once, EmptyPlan, mode, ClusterDomain).Text);
            Assert.Equal(Strip(corefile.Text), CorefileUpdate.Apply(corefile.Text, EmptyPlan, mode, ClusterDomain).Text);
            if (!corefile.Stale)
                Assert.Equal(corefile.Text, CorefileUpdate.Apply(once, EmptyPlan, mode, ClusterDomain).Text);
        }, iter: Iterations, threads: 1, print: Print);
    }

    [Fact]
    public void A_damaged_corefile_is_refused_or_edited_as_safely_as_a_sound_one()
    {
        // Random damage: a brace, quote, comment sign, backslash or line break inserted, a character or line deleted.
        var damage = Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.OneOf('{', '}', '"', '#', '\\', '\n', ' ')).Array[1, 3];
        Gen.Select(Corefiles.Where(c => !c.Stale), Plans, damage).Sample((corefile, plan, edits) =>
        {
            var text = corefile.Text;
            foreach (var (kind, at, c) in edits)
                text = Damage(text, kind, at, c);

            CorefileUpdate update;
            try
            {
                update = CorefileUpdate.Apply(text, plan, DnsMode.Rewrite, ClusterDomain);
            }
            catch (CorefileException refused)
            {
                Assert.False(string.IsNullOrWhiteSpace(refused.Message));
                Assert.True(refused.Line is null || (refused.Line >= 1 && refused.Line <= text.Count(ch => ch == '\n') + 1), refused.Message);
                return;
            }

            _ = Corefile.Parse(update.Text);
            Assert.Equal(text, Strip(update.Text));
            Assert.Equal(update.Text, CorefileUpdate.Apply(update.Text, plan, DnsMode.Rewrite, ClusterDomain).Text);
            Assert.Equal(text, CorefileUpdate.Apply(update.Text, EmptyPlan, DnsMode.Rewrite, ClusterDomain).Text);
        }, iter: Iterations, threads: 1, print: t => Print(t.Item1, t.Item2, DnsMode.Rewrite) + $"\ndamage: {string.Join(", ", t.Item3)}");
    }

    private static string Damage(string text, int kind, int at, char c)
    {
        if (text.Length == 0)
            return c.ToString();
        var i = at % text.Length;
        switch (kind)
        {
            case 0:
            case 1:
                return text.Insert(i, c.ToString());
            case 2:
                return text.Remove(i, 1);
            default:
                var start = i == 0 ? 0 : text.LastIndexOf('\n', i - 1) + 1;
                var end = text.IndexOf('\n', i);
                return text.Remove(start, (end < 0 ? text.Length : end + 1) - start);
        }
    }

    private static string Print((Case Corefile, RedirectPlan Plan, DnsMode Mode) t) => Print(t.Corefile, t.Plan, t.Mode);

    private static string Print(Case corefile, RedirectPlan plan, DnsMode mode) =>
        $"mode {mode}, hosts [{string.Join(", ", plan.Redirects.Select(r => $"{r.Host} {string.Join("/", r.TargetIPs)}"))}]\n{corefile}";
}
