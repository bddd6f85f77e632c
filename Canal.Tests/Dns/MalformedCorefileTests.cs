using Canal.Dns;
using static Canal.Tests.Dns.CorefileTexts;

namespace Canal.Tests.Dns;

/// <summary>A Corefile Canal cannot safely edit is refused with a message that says what is wrong and where.</summary>
public sealed class MalformedCorefileTests
{
    public static TheoryData<string, int?, string> Fixtures => new()
    {
        { "missing-close-brace.Corefile", 1, "the block '.:53' opened here is never closed (missing '}')" },
        { "stray-close-brace.Corefile", 9, "unexpected '}' with no block open" },
        { "brace-after-directive.Corefile", 5, "'}' on the same line as directive 'cache'" },
        { "unterminated-quote.Corefile", 4, "a quoted string is never closed" },
        { "begin-without-end.Corefile", 4, "'# canal:begin' has no '# canal:end' after it" },
        { "end-without-begin.Corefile", 5, "'# canal:end' without '# canal:begin' before it" },
        { "no-cluster-block.Corefile", null, "no server block has a 'kubernetes' directive for cluster.local" },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_malformed_fixture_is_refused_in_every_mode(string fixture, int? line, string what)
    {
        var text = Fixture(Path.Combine("malformed", fixture));

        foreach (var mode in new[] { DnsMode.Rewrite, DnsMode.Hosts, DnsMode.Auto })
        {
            foreach (var plan in new[] { Plan(["a.default.svc.cluster.local"]), EmptyPlan })
            {
                var refused = Assert.Throws<CorefileException>(() => CorefileUpdate.Apply(text, plan, mode, ClusterDomain));
                Assert.Equal(line, refused.Line);
                Assert.Contains(what, refused.Message, StringComparison.Ordinal);
                if (line != null)
                    Assert.StartsWith($"line {line}: ", refused.Message, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData(".:53 {\n    kubernetes cluster.local {\n        pods insecure\n}\n", 1, "never closed")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n    forward . 1.1.1.1 {\n        max_fails 2\n    \n", 3, "the block of directive 'forward' opened here is never closed")]
    [InlineData("{\n    kubernetes cluster.local\n}\n", 1, "without a server block key")]
    [InlineData(".:53, {\n    kubernetes cluster.local\n}\n", 1, "ends with ',' but no key follows")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n    {\n    }\n}\n", 3, "'{' where a directive name was expected")]
    [InlineData("example.org:53 {\n    whoami\n}\n.:53\n    kubernetes cluster.local\n", 4, "server block '.:53' has no '{'")]
    [InlineData("}\n.:53 {\n    kubernetes cluster.local\n}\n", 1, "unexpected '}' with no block open")]
    [InlineData(". { whoami }\n", 1, "'}' on the same line as directive 'whoami'")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n    # canal:begin\n    # canal:begin\n    # canal:end\n}\n", 4, "'# canal:begin' appears again before '# canal:end'")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n    # canal:begin\n}\n.:5353 {\n    # canal:end\n}\n", 3, "has no '# canal:end' after it in the same block")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n    log . \"}\"\n}\n", 3, "'}' on the same line as directive 'log'")]
    public void A_malformed_corefile_is_refused_with_its_line(string corefile, int line, string what)
    {
        var refused = Assert.Throws<CorefileException>(() => CorefileUpdate.Apply(corefile, Plan(["a.default.svc.cluster.local"]), DnsMode.Rewrite, ClusterDomain));

        Assert.Equal(line, refused.Line);
        Assert.Contains(what, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# nothing but a comment\n")]
    [InlineData("import custom/*.server\n")]
    [InlineData("(k8s) {\n    kubernetes cluster.local\n}\n")]
    [InlineData(".:53 {\n    forward . /etc/resolv.conf {\n        kubernetes cluster.local\n    }\n}\n")]
    [InlineData(".:53 {\n    kubernetes .\n}\n")]
    [InlineData(".:53 {\n    kubernetes\n}\n")]
    [InlineData("example.org:53 {\n    kubernetes\n}\n")]
    public void A_corefile_without_a_block_serving_the_cluster_domain_is_refused(string corefile)
    {
        var refused = Assert.Throws<CorefileException>(() => CorefileUpdate.Apply(corefile, Plan(["a.default.svc.cluster.local"]), DnsMode.Auto, ClusterDomain));

        Assert.Contains("no server block has a 'kubernetes' directive for cluster.local", refused.Message, StringComparison.Ordinal);
    }
}
