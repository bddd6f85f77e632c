using Canal.Dns;
using Canal.Istio;
using static Canal.Tests.Dns.CorefileTexts;

namespace Canal.Tests.Dns;

/// <summary>
/// The Corefiles the major distributions ship, and hand-made hard cases: Canal's section lands in the
/// cluster block, reads back exactly, changes nothing else, and goes away without a trace.
/// </summary>
public sealed class DistributionCorefileTests
{
    private static readonly string[] Hosts =
        ["reviews.bookinfo.svc.cluster.local", "helloworld.default.svc.cluster.local", "ratings.bookinfo.svc.cluster.local"];

    /// <summary>Fixture, number of blocks serving cluster.local, whether such a block has a <c>hosts</c> of its own.</summary>
    private static readonly (string Name, int ClusterBlocks, bool OwnHosts)[] All =
    [
        ("kubeadm.Corefile", 1, false),
        ("kind.Corefile", 1, false),
        ("k3s.Corefile", 1, true),
        ("minikube.Corefile", 1, true),
        ("eks.Corefile", 1, false),
        ("aks.Corefile", 1, false),
        ("rke2.Corefile", 1, false),
        ("several-blocks.Corefile", 1, false),
        ("two-cluster-blocks.Corefile", 2, false),
        ("snippets.Corefile", 1, false),
        ("quoting.Corefile", 1, false),
        ("crlf.Corefile", 1, false),
        ("tabs.Corefile", 1, false),
        ("env-placeholders.Corefile", 1, false),
        ("stale-section.Corefile", 1, false),
        ("stale-hosts-section.Corefile", 1, false),
        ("zone-in-key.Corefile", 1, false),
        ("braces-free.Corefile", 1, false),
    ];

    public static TheoryData<string, int, bool> Fixtures
    {
        get
        {
            var data = new TheoryData<string, int, bool>();
            foreach (var (name, blocks, ownHosts) in All)
                data.Add(name, blocks, ownHosts);
            return data;
        }
    }

    public static TheoryData<string, int> WithoutOwnHosts
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var (name, blocks, _) in All.Where(f => !f.OwnHosts))
                data.Add(name, blocks);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Rewrite_mode_writes_one_rule_per_host_and_nothing_else(string fixture, int clusterBlocks, bool _)
    {
        var original = Fixture(fixture);

        var update = CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Rewrite, ClusterDomain);

        Assert.Equal(DnsMode.Rewrite, update.Mode);
        AssertRendered(original, update.Text, ExpectedRewrite(Hosts), clusterBlocks);
    }

    [Theory]
    [MemberData(nameof(WithoutOwnHosts))]
    public void Hosts_mode_writes_a_hosts_block_with_entries_before_its_options(string fixture, int clusterBlocks)
    {
        var original = Fixture(fixture);

        var update = CorefileUpdate.Apply(original, Plan(Hosts, GatewayIp, GatewayIpV6), DnsMode.Hosts, ClusterDomain);

        var expected = ExpectedHosts(Hosts.SelectMany(h => new[] { (GatewayIp, h), (GatewayIpV6, h) }));
        AssertRendered(original, update.Text, expected, clusterBlocks);
        var body = Body(Sections(update.Text)[0]);
        var lastEntry = Array.FindLastIndex(body, l => l.EndsWith(".svc.cluster.local", StringComparison.Ordinal));
        Assert.True(lastEntry < Array.IndexOf(body, "ttl 5"));
        Assert.True(lastEntry < Array.IndexOf(body, "no_reverse"));
        Assert.True(lastEntry < Array.IndexOf(body, "fallthrough"));
    }

    /// <summary>AKS's cluster block imports its coredns-custom *.override files, which may hold a hosts of their own.</summary>
    public static TheoryData<string, int> WithoutOwnHostsOrFileImports
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var (name, blocks, _) in All.Where(f => !f.OwnHosts && f.Name != "aks.Corefile"))
                data.Add(name, blocks);
            return data;
        }
    }

    [Fact]
    public void A_cluster_block_without_reload_gets_a_warning_that_changes_wait_for_a_restart()
    {
        var original = Fixture("kubeadm.Corefile");
        Assert.Empty(CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Rewrite, ClusterDomain).Warnings);

        var withoutReload = original.Replace("    reload\n", "");
        Assert.NotEqual(original, withoutReload);
        var update = CorefileUpdate.Apply(withoutReload, Plan(Hosts), DnsMode.Rewrite, ClusterDomain);
        Assert.Contains(update.Warnings, w => w.Contains("no 'reload'", StringComparison.Ordinal));
    }

    [Fact]
    public void Auto_mode_chooses_rewrite_when_the_cluster_block_imports_customisation_files()
    {
        var original = Fixture("aks.Corefile");

        var update = CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Auto, ClusterDomain);

        Assert.Equal(DnsMode.Rewrite, update.Mode);
        Assert.Contains(update.Warnings, w => w.Contains("imports files (line 18)", StringComparison.Ordinal));
        AssertRendered(original, update.Text, ExpectedRewrite(Hosts), 1);
    }

    [Theory]
    [MemberData(nameof(WithoutOwnHostsOrFileImports))]
    public void Auto_mode_chooses_hosts_when_the_cluster_block_has_none(string fixture, int clusterBlocks)
    {
        var original = Fixture(fixture);

        var update = CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Auto, ClusterDomain);

        Assert.Equal(DnsMode.Hosts, update.Mode);
        AssertRendered(original, update.Text, ExpectedHosts(Hosts.Select(h => (GatewayIp, h))), clusterBlocks);
    }

    [Theory]
    [InlineData("k3s.Corefile", 9)]
    [InlineData("minikube.Corefile", 14)]
    public void A_cluster_block_with_its_own_hosts_refuses_hosts_mode_and_auto_falls_back_to_rewrite(string fixture, int hostsLine)
    {
        var original = Fixture(fixture);

        var refused = Assert.Throws<CorefileException>(() => CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Hosts, ClusterDomain));
        Assert.Equal(hostsLine, refused.Line);
        Assert.Contains("'hosts'", refused.Message, StringComparison.Ordinal);

        var auto = CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Auto, ClusterDomain);
        Assert.Equal(DnsMode.Rewrite, auto.Mode);
        Assert.Contains(auto.Warnings, w => w.Contains($"line {hostsLine}", StringComparison.Ordinal));
        AssertRendered(original, auto.Text, ExpectedRewrite(Hosts), 1);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Rendering_the_same_plan_again_changes_nothing(string fixture, int _, bool ownHosts)
    {
        var original = Fixture(fixture);
        var mode = ownHosts ? DnsMode.Rewrite : DnsMode.Hosts;

        var once = CorefileUpdate.Apply(original, Plan(Hosts), mode, ClusterDomain).Text;
        var twice = CorefileUpdate.Apply(once, Plan(Hosts), mode, ClusterDomain).Text;

        Assert.Equal(once, twice);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void The_empty_plan_removes_the_section_and_gives_the_original_back(string fixture, int _, bool ownHosts)
    {
        var original = Fixture(fixture);
        var mode = ownHosts ? DnsMode.Rewrite : DnsMode.Hosts;

        var rendered = CorefileUpdate.Apply(original, Plan(Hosts), mode, ClusterDomain).Text;
        var emptied = CorefileUpdate.Apply(rendered, EmptyPlan, mode, ClusterDomain).Text;

        // Stale fixtures come back without their stale section; the others byte for byte.
        Assert.Equal(Strip(original), emptied);
        Assert.DoesNotContain("canal:", emptied, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WithoutOwnHosts))]
    public void Switching_modes_replaces_the_section_in_place(string fixture, int clusterBlocks)
    {
        var original = Fixture(fixture);

        var hosts = CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Hosts, ClusterDomain).Text;
        var rewrite = CorefileUpdate.Apply(hosts, Plan(Hosts), DnsMode.Rewrite, ClusterDomain).Text;

        AssertRendered(original, rewrite, ExpectedRewrite(Hosts), clusterBlocks);
        Assert.Equal(CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Rewrite, ClusterDomain).Text, rewrite);
    }

    [Fact]
    public void The_section_goes_last_in_the_cluster_block_indented_like_its_directives()
    {
        var output = CorefileUpdate.Apply(Fixture("kubeadm.Corefile"), Plan(["a.default.svc.cluster.local"]), DnsMode.Rewrite, ClusterDomain).Text;

        Assert.EndsWith(
            "    loadbalance\n"
            + "    # canal:begin (managed by Canal: lines up to canal:end are rewritten)\n"
            + "    rewrite name exact a.default.svc.cluster.local canal.istio-system.svc.cluster.local\n"
            + "    # canal:end\n"
            + "}\n",
            output,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Tabs_indent_the_section_and_its_hosts_entries()
    {
        var output = CorefileUpdate.Apply(Fixture("tabs.Corefile"), Plan(["a.default.svc.cluster.local"]), DnsMode.Hosts, ClusterDomain).Text;

        Assert.Contains("\thosts {\n\t\t10.96.0.100 a.default.svc.cluster.local\n\t\tttl 5\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stale_section_is_replaced_where_it_stands()
    {
        var original = Fixture("stale-section.Corefile");

        var output = CorefileUpdate.Apply(original, Plan(["reviews.bookinfo.svc.cluster.local"]), DnsMode.Rewrite, ClusterDomain).Text;

        Assert.DoesNotContain("gone.default", output, StringComparison.Ordinal);
        Assert.DoesNotContain("canal-old", output, StringComparison.Ordinal);
        Assert.Contains(
            "        ttl 30\n    }\n    # canal:begin (managed by Canal: lines up to canal:end are rewritten)\n"
            + "    rewrite name exact reviews.bookinfo.svc.cluster.local canal.istio-system.svc.cluster.local\n"
            + "    # canal:end\n    prometheus :9153\n",
            output,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_block_serving_the_cluster_domain_is_edited()
    {
        var original = Fixture("several-blocks.Corefile");

        var output = CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Hosts, ClusterDomain).Text;

        var section = output.IndexOf(CorefileEditor.BeginMarker, StringComparison.Ordinal);
        Assert.True(output.IndexOf(".:53 {", StringComparison.Ordinal) < section);
        Assert.True(section < output.IndexOf("other.local:53 {", StringComparison.Ordinal));
        Assert.Single(Sections(output));
    }

    [Fact]
    public void A_kubernetes_directive_imported_from_a_snippet_puts_the_section_in_the_importing_block()
    {
        var original = Fixture("snippets.Corefile");

        var output = CorefileUpdate.Apply(original, Plan(Hosts), DnsMode.Hosts, ClusterDomain).Text;

        var section = output.IndexOf(CorefileEditor.BeginMarker, StringComparison.Ordinal);
        Assert.True(output.IndexOf(".:53 {", StringComparison.Ordinal) < section);
        Assert.True(section < output.IndexOf("example.com:53 {", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hosts_directive_imported_from_a_snippet_counts_as_the_blocks_own()
    {
        const string corefile = "(nodes) {\n    hosts /etc/coredns/NodeHosts {\n        fallthrough\n    }\n}\n"
            + ".:53 {\n    kubernetes cluster.local\n    import nodes\n    forward . /etc/resolv.conf\n}\n";

        var refused = Assert.Throws<CorefileException>(() => CorefileUpdate.Apply(corefile, Plan(Hosts), DnsMode.Hosts, ClusterDomain));

        Assert.Equal(2, refused.Line);
        Assert.Equal(DnsMode.Rewrite, CorefileUpdate.Apply(corefile, Plan(Hosts), DnsMode.Auto, ClusterDomain).Mode);
    }

    [Fact]
    public void Auto_mode_chooses_rewrite_when_the_gateway_ip_is_unknown()
    {
        var plan = Plan(Hosts) with { Redirects = [.. Plan(Hosts).Redirects.Select(r => r with { TargetIPs = [] })] };

        var update = CorefileUpdate.Apply(Fixture("kubeadm.Corefile"), plan, DnsMode.Auto, ClusterDomain);

        Assert.Equal(DnsMode.Rewrite, update.Mode);
        Assert.Contains(update.Warnings, w => w.Contains("ClusterIP", StringComparison.Ordinal));
        AssertRendered(Fixture("kubeadm.Corefile"), update.Text, ExpectedRewrite(Hosts), 1);
    }

    [Fact]
    public void More_than_a_thousand_rewrite_rules_come_with_a_warning()
    {
        var hosts = Enumerable.Range(0, CorefileUpdate.RewriteWarningThreshold + 1).Select(i => $"svc{i}.default.svc.cluster.local").ToList();

        var update = CorefileUpdate.Apply(Fixture("kubeadm.Corefile"), Plan(hosts), DnsMode.Rewrite, ClusterDomain);

        Assert.Contains(update.Warnings, w => w.StartsWith($"{hosts.Count} rewrite rules", StringComparison.Ordinal));
        Assert.Empty(CorefileUpdate.Apply(Fixture("kubeadm.Corefile"), Plan(hosts.Take(10)), DnsMode.Rewrite, ClusterDomain).Warnings);
    }

    [Fact]
    public void Another_cluster_domain_edits_the_block_that_serves_it()
    {
        const string corefile = ".:53 {\n    kubernetes cluster.local\n}\nk8s.internal:53 {\n    kubernetes\n}\n";
        var plan = new Canal.Istio.RedirectPlan([new Redirect("a.default.svc.k8s.internal", "canal.istio-system.svc.k8s.internal", [GatewayIp])], []);

        var output = CorefileUpdate.Apply(corefile, plan, DnsMode.Rewrite, "k8s.internal").Text;

        Assert.Equal(
            ".:53 {\n    kubernetes cluster.local\n}\nk8s.internal:53 {\n    kubernetes\n"
            + "    # canal:begin (managed by Canal: lines up to canal:end are rewritten)\n"
            + "    rewrite name exact a.default.svc.k8s.internal canal.istio-system.svc.k8s.internal\n"
            + "    # canal:end\n}\n",
            output);
    }
}
