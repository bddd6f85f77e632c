using Canal.Dns;
using static Canal.Tests.Dns.CorefileTexts;

namespace Canal.Tests.Dns;

/// <summary>
/// Corefile syntax read the way CoreDNS reads it (its Caddy v1 lexer and parser), and layouts around
/// the section: Canal must neither refuse what CoreDNS accepts nor write what CoreDNS would refuse.
/// </summary>
public sealed class CorefileSyntaxTests
{
    private static readonly string[] OneHost = ["a.default.svc.cluster.local"];

    private static string Rewrite(string corefile) =>
        CorefileUpdate.Apply(corefile, Plan(OneHost), DnsMode.Rewrite, ClusterDomain).Text;

    private static string Section(string indent, string newLine = "\n") =>
        $"{indent}# canal:begin (managed by Canal: lines up to canal:end are rewritten){newLine}"
        + $"{indent}rewrite name exact a.default.svc.cluster.local canal.istio-system.svc.cluster.local{newLine}"
        + $"{indent}# canal:end{newLine}";

    [Fact]
    public void A_hash_inside_a_word_comments_out_only_the_rest_of_that_word()
    {
        // CoreDNS reads "log#note {" as "log {": the comment ends with the word.
        const string corefile = ".:53 {\n    kubernetes cluster.local\n    forward . 10.0.0.1#primary 10.0.0.2\n    log#note {\n        class error\n    }\n}\n";

        var parsed = Corefile.Parse(corefile);

        var directives = parsed.ServerBlocks[0].Directives;
        Assert.Equal([".", "10.0.0.1", "10.0.0.2"], directives[1].Arguments);
        Assert.Equal("log", directives[2].Name);
        Assert.Equal(["log", "{", "class", "error", "}"], directives[2].Tokens.Select(t => t.Value));
        AssertRendered(corefile, Rewrite(corefile), ExpectedRewrite(OneHost), 1);
    }

    [Fact]
    public void A_hash_starting_a_word_comments_out_the_rest_of_the_line()
    {
        const string corefile = ".:53 {\n    kubernetes cluster.local\n    forward . 10.0.0.1 #primary 10.0.0.2 {\n}\n";

        Assert.Equal([".", "10.0.0.1"], Corefile.Parse(corefile).ServerBlocks[0].Directives[1].Arguments);
        Assert.EndsWith("{\n" + Section("    ") + "}\n", Rewrite(corefile), StringComparison.Ordinal);
    }

    [Fact]
    public void A_quoted_brace_is_a_brace_to_coredns()
    {
        // CoreDNS's parser compares token text only, so "{" opens a block just like { does.
        const string corefile = ".:53 {\n    kubernetes cluster.local\n    template IN A example.org \"{\"\n        answer \"{{ .Name }} 60 IN A 10.0.0.1\"\n    }\n}\n";

        var parsed = Corefile.Parse(corefile);

        Assert.Equal(2, parsed.ServerBlocks[0].Directives.Count);
        AssertRendered(corefile, Rewrite(corefile), ExpectedRewrite(OneHost), 1);
    }

    [Fact]
    public void Braces_inside_words_quotes_and_comments_are_not_braces()
    {
        const string corefile = "# {\n.:53 {\n    # }\n    kubernetes cluster.local\n    log . \"{remote} { } {name}\" {$FORMAT} {1} #{\n"
            + "    rewrite name regex (.*)\\.{$ZONE}\\.$ {1}.svc.cluster.local\n}\n";

        var parsed = Corefile.Parse(corefile);

        Assert.Equal(["kubernetes", "log", "rewrite"], parsed.ServerBlocks[0].Directives.Select(d => d.Name));
        Assert.Equal([".", "{remote} { } {name}", "{$FORMAT}", "{1}"], parsed.ServerBlocks[0].Directives[1].Arguments);
        Assert.EndsWith("{1}.svc.cluster.local\n" + Section("    ") + "}\n", Rewrite(corefile), StringComparison.Ordinal);
    }

    [Fact]
    public void An_escaped_quote_stays_inside_its_string()
    {
        const string corefile = ".:53 {\n    kubernetes cluster.local\n    log . \"say \\\"}\\\" and \\d\"\n}\n";

        var log = Corefile.Parse(corefile).ServerBlocks[0].Directives[1];

        Assert.Equal([".", "say \"}\" and \\d"], log.Arguments);
        AssertRendered(corefile, Rewrite(corefile), ExpectedRewrite(OneHost), 1);
    }

    [Fact]
    public void A_quoted_string_spanning_lines_keeps_the_line_numbers_right()
    {
        const string corefile = ".:53 {\n    kubernetes cluster.local\n    log . \"{remote}\n{name}\n{type}\"\n    cache 30 }\n";

        var refused = Assert.Throws<CorefileException>(() => Corefile.Parse(corefile));

        Assert.Equal(6, refused.Line);
        AssertRendered(corefile.Replace(" }\n", "\n}\n", StringComparison.Ordinal), Rewrite(corefile.Replace(" }\n", "\n}\n", StringComparison.Ordinal)), ExpectedRewrite(OneHost), 1);
    }

    [Fact]
    public void An_opening_brace_on_the_line_after_the_keys_opens_the_block()
    {
        const string corefile = ".:53\n{\n    kubernetes cluster.local\n}\n";

        Assert.Equal(".:53\n{\n    kubernetes cluster.local\n" + Section("    ") + "}\n", Rewrite(corefile));
    }

    [Theory]
    [InlineData("cluster.local:53 {\n    kubernetes\n}\n")]
    [InlineData("dns://cluster.local:53 {\n    kubernetes\n}\n")]
    [InlineData("cluster.local {\n    kubernetes\n}\n")]
    [InlineData("example.org cluster.local:53 {\n    kubernetes\n}\n")]
    [InlineData("example.org:53,\n  cluster.local:53 {\n    kubernetes\n}\n")]
    [InlineData(".:53 {\n    kubernetes CLUSTER.LOCAL.\n}\n")]
    [InlineData(".:53 {\n    kubernetes example.org cluster.local in-addr.arpa\n}\n")]
    public void The_cluster_domain_is_found_in_the_kubernetes_zones_or_else_the_block_keys(string corefile)
    {
        Assert.Equal(corefile.Replace("\n}\n", "\n" + Section("    ") + "}\n", StringComparison.Ordinal), Rewrite(corefile));
    }

    [Fact]
    public void Markers_inside_a_nested_block_are_not_canals_section()
    {
        const string corefile = ".:53 {\n    kubernetes cluster.local {\n        # canal:begin\n        pods insecure\n        # canal:end\n    }\n}\n";

        var output = Rewrite(corefile);

        Assert.Equal(".:53 {\n    kubernetes cluster.local {\n        # canal:begin\n        pods insecure\n        # canal:end\n    }\n" + Section("    ") + "}\n", output);
    }

    [Fact]
    public void Markers_after_a_directive_on_its_line_are_not_canals_section()
    {
        const string corefile = ".:53 {\n    kubernetes cluster.local # canal:begin\n    cache 30 # canal:end\n}\n";

        Assert.Equal(".:53 {\n    kubernetes cluster.local # canal:begin\n    cache 30 # canal:end\n" + Section("    ") + "}\n", Rewrite(corefile));
    }

    [Fact]
    public void A_section_in_a_block_that_does_not_serve_the_cluster_domain_is_left_alone()
    {
        const string foreign = "example.org:53 {\n    whoami\n    # canal:begin\n    rewrite name exact x.example.org y.example.org\n    # canal:end\n}\n";
        const string corefile = foreign + ".:53 {\n    kubernetes cluster.local\n}\n";

        Assert.Equal(foreign + ".:53 {\n    kubernetes cluster.local\n" + Section("    ") + "}\n", Rewrite(corefile));
    }

    [Fact]
    public void Extra_sections_in_the_cluster_block_are_merged_into_the_first()
    {
        const string corefile = ".:53 {\n    # canal:begin\n    rewrite name exact old.default.svc.cluster.local x.svc.cluster.local\n    # canal:end\n"
            + "    kubernetes cluster.local\n    # canal:begin\n    # canal:end\n}\n";

        Assert.Equal(".:53 {\n" + Section("    ") + "    kubernetes cluster.local\n}\n", Rewrite(corefile));
    }

    // @0, @1, @2: the section indented by four, two or no spaces.
    [Theory]
    [InlineData(".:53 {\n    kubernetes cluster.local\n}", ".:53 {\n    kubernetes cluster.local\n@0}")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n} # end of the cluster block\n", ".:53 {\n    kubernetes cluster.local\n@0} # end of the cluster block\n")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n\n  }\n\n", ".:53 {\n    kubernetes cluster.local\n\n@0  }\n\n")]
    [InlineData(".:53 {\n  kubernetes cluster.local\n  }\n", ".:53 {\n  kubernetes cluster.local\n@1  }\n")]
    [InlineData(".:53 { # a block\n    kubernetes cluster.local\n}\n", ".:53 { # a block\n    kubernetes cluster.local\n@0}\n")]
    [InlineData(".:53\nkubernetes cluster.local\n", ".:53\nkubernetes cluster.local\n@2")]
    public void The_section_goes_before_the_closing_brace_and_leaves_without_a_trace(string corefile, string expected)
    {
        var output = Rewrite(corefile);

        Assert.Equal(expected.Replace("@0", Section("    ")).Replace("@1", Section("  ")).Replace("@2", Section("")), output);
        Assert.Equal(corefile, CorefileUpdate.Apply(output, EmptyPlan, DnsMode.Rewrite, ClusterDomain).Text);
    }

    [Fact]
    public void A_braces_free_corefile_without_a_final_newline_gets_one_for_its_section()
    {
        const string corefile = ".:53\nkubernetes cluster.local";

        var output = Rewrite(corefile);

        Assert.Equal(corefile + "\n" + Section(""), output);
        Assert.Equal(corefile + "\n", CorefileUpdate.Apply(output, EmptyPlan, DnsMode.Rewrite, ClusterDomain).Text);
    }

    [Fact]
    public void Crlf_line_endings_are_kept_in_the_section()
    {
        const string corefile = ".:53 {\r\n    kubernetes cluster.local\r\n}\r\n";

        var output = Rewrite(corefile);

        Assert.Equal(".:53 {\r\n    kubernetes cluster.local\r\n" + Section("    ", "\r\n") + "}\r\n", output);
        Assert.Equal(corefile, CorefileUpdate.Apply(output, EmptyPlan, DnsMode.Rewrite, ClusterDomain).Text);
    }

    [Fact]
    public void Top_level_imports_and_snippets_are_kept_byte_for_byte()
    {
        const string corefile = "import custom/*.server\n(opts) {\n    cache 30\n}\nimport other/*.server\n.:53 {\n    import opts\n    kubernetes cluster.local\n}\nimport last/*.server\n";

        Assert.Equal(
            "import custom/*.server\n(opts) {\n    cache 30\n}\nimport other/*.server\n.:53 {\n    import opts\n    kubernetes cluster.local\n" + Section("    ") + "}\nimport last/*.server\n",
            Rewrite(corefile));
    }
}
