using Canal.Dns;
using Canal.Istio;
using static Canal.Tests.Dns.CorefileTexts;

namespace Canal.Tests.Dns;

/// <summary>
/// Host names come from VirtualServices anyone with namespace rights can write: nothing but a lowercase DNS
/// name inside the cluster domain may reach the Corefile, and what is held back is reported as blocked.
/// </summary>
public sealed class HostileRedirectTests
{
    private const string Good = "reviews.bookinfo.svc.cluster.local";

    public static TheoryData<string> HostileHosts =>
    [
        "evil.default.svc.cluster.local\n}\nforward . 1.2.3.4",
        "evil.default.svc.cluster.local\r\nforward . 1.2.3.4",
        "evil.default.svc.cluster.local forward . 1.2.3.4",
        "evil.default.svc.cluster.local\tforward",
        "evil{.default.svc.cluster.local",
        "evil}.default.svc.cluster.local",
        "{$EVIL}.default.svc.cluster.local",
        "evil#.default.svc.cluster.local",
        "evil.default.svc.cluster.local#",
        "\"evil\".default.svc.cluster.local",
        "evil\\.default.svc.cluster.local",
        "Evil.Default.svc.cluster.local",
        "evil.default.svc.cluster.local.",
        "*.default.svc.cluster.local",
        "ëvil.default.svc.cluster.local",
        "evil..svc.cluster.local",
        "-evil.default.svc.cluster.local",
        "evil-.default.svc.cluster.local",
        new string('e', 64) + ".default.svc.cluster.local",
        "evil.default.svc.cluster.local\0",
        "",
        // Outside the cluster domain: a redirect there would hijack a name the whole cluster resolves.
        "evil.example.com",
        "evilcluster.local",
        "cluster.local",
    ];

    [Theory]
    [MemberData(nameof(HostileHosts))]
    public void A_hostile_host_never_reaches_the_corefile_and_is_reported_blocked(string hostile)
    {
        var original = Fixture("kubeadm.Corefile");
        var plan = Plan([Good, hostile]);

        foreach (var mode in new[] { DnsMode.Rewrite, DnsMode.Hosts, DnsMode.Auto })
        {
            var update = CorefileUpdate.Apply(original, plan, mode, ClusterDomain);

            var expected = update.Mode == DnsMode.Rewrite ? ExpectedRewrite([Good]) : ExpectedHosts([(GatewayIp, Good)]);
            AssertRendered(original, update.Text, expected, 1);
            Assert.DoesNotContain("evil", update.Text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("1.2.3.4", update.Text, StringComparison.Ordinal);
            Assert.Equal([Good], update.Plan.Redirects.Select(r => r.Host));
            var blocked = Assert.Single(update.Plan.Decisions, d => d.Host == hostile);
            Assert.Equal(HostStatus.Blocked, blocked.Status);
            Assert.False(string.IsNullOrWhiteSpace(blocked.Reason));
            Assert.Equal(HostStatus.Redirected, Assert.Single(update.Plan.Decisions, d => d.Host == Good).Status);
        }
    }

    [Theory]
    [InlineData("canal.istio-system.svc.cluster.local\n}\nforward . 1.2.3.4")]
    [InlineData("canal.istio-system.svc.cluster.local 1.2.3.4")]
    [InlineData("canal.istio-system.svc.cluster.local#")]
    [InlineData("")]
    public void A_hostile_gateway_name_never_reaches_the_corefile(string target)
    {
        var original = Fixture("kubeadm.Corefile");
        var plan = new RedirectPlan([new Redirect(Good, target, [GatewayIp])], [new HostDecision(Good, HostStatus.Redirected, "test", null, [])]);

        var update = CorefileUpdate.Apply(original, plan, DnsMode.Rewrite, ClusterDomain);

        Assert.Equal(original, update.Text);
        Assert.Equal(HostStatus.Blocked, Assert.Single(update.Plan.Decisions).Status);
    }

    [Theory]
    [InlineData("10.96.0.100 evil.example.com")]
    [InlineData("10.96.0.100\n}\nforward . 1.2.3.4")]
    [InlineData("10.96.0.100}")]
    [InlineData("evil")]
    [InlineData("")]
    public void A_hostile_gateway_ip_never_reaches_a_hosts_block(string ip)
    {
        var original = Fixture("kubeadm.Corefile");
        var plan = Plan([Good], ip);

        var update = CorefileUpdate.Apply(original, plan, DnsMode.Hosts, ClusterDomain);

        Assert.DoesNotContain("evil", update.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("1.2.3.4", update.Text, StringComparison.Ordinal);
        Assert.Equal(original, update.Text);
        Assert.Equal(HostStatus.Blocked, Assert.Single(update.Plan.Decisions).Status);
    }

    [Fact]
    public void A_gateway_ip_is_written_in_its_canonical_form()
    {
        var update = CorefileUpdate.Apply(Fixture("kubeadm.Corefile"), Plan([Good], "FD00:0010:0096:0000:0000:0000:0000:0100"), DnsMode.Hosts, ClusterDomain);

        AssertRendered(Fixture("kubeadm.Corefile"), update.Text, ExpectedHosts([(GatewayIpV6, Good)]), 1);
    }

    [Fact]
    public void Only_hostile_hosts_leave_the_corefile_as_it_was()
    {
        var original = Fixture("stale-section.Corefile");

        var update = CorefileUpdate.Apply(original, Plan(["evil\n}", "a b"]), DnsMode.Rewrite, ClusterDomain);

        Assert.Equal(Strip(original), update.Text);
        Assert.All(update.Plan.Decisions, d => Assert.Equal(HostStatus.Blocked, d.Status));
    }
}
