using Canal.Dns;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Node.Local;

namespace Canal.Tests.Dns;

/// <summary>The write marker: where each mode puts it, what it never changes, and that it alone never makes a write.</summary>
public sealed class WriteMarkerTests
{
    private const string Domain = "cluster.local";
    private static readonly string Kubeadm = DefaultCorefile.For(Domain);
    private static readonly string First = WriteMarker.Name(1, 638_000_000_000_000_000, Domain);
    private static readonly string Second = WriteMarker.Name(2, 638_000_000_000_000_000, Domain);

    private static RedirectPlan Plan(params string[] hosts) =>
        new([.. hosts.Select(h => new Redirect(h, "canal.istio-system.svc.cluster.local", ["10.96.0.50"]))], []);

    [Theory]
    [InlineData(DnsMode.Hosts, "10.96.0.50 " + "{0}")]
    [InlineData(DnsMode.Rewrite, "rewrite name exact {0} canal.istio-system.svc.cluster.local")]
    [InlineData(DnsMode.Custom, "rewrite name exact {0} canal.istio-system.svc.cluster.local")]
    public void Each_mode_answers_the_marker_first_with_the_first_hosts_gateway_and_never_lists_it_as_a_redirect(DnsMode mode, string line)
    {
        var plan = new RedirectPlan(
        [
            new Redirect("reviews.default.svc.cluster.local", "other.istio-system.svc.cluster.local", ["10.96.0.60"]),
            new Redirect("helloworld.default.svc.cluster.local", "canal.istio-system.svc.cluster.local", ["10.96.0.50"]),
        ], []);
        var update = CorefileUpdate.Apply(Kubeadm, plan, mode, Domain, First);

        var section = CorefileUpdate.SectionLines(update.Text).Where(l => l != "hosts {").ToList();
        Assert.Equal(string.Format(line, First), section[0]);
        Assert.Equal(First, WriteMarker.In(update.Text));
        Assert.Equal(["helloworld.default.svc.cluster.local", "reviews.default.svc.cluster.local"], CorefileUpdate.RedirectedHosts(update.Text));
    }

    [Fact]
    public void The_marker_is_a_name_the_kubernetes_plugin_never_answers_and_a_valid_DNS_name()
    {
        Assert.Matches(@"^w1-[0-9a-z]+\.canal-write\.cluster\.local$", First);
        Assert.True(HostName.IsValidDomain(First));
        Assert.True(WriteMarker.Is(First));
        Assert.False(WriteMarker.Is("canal-write.default.svc.cluster.local"));
        Assert.False(WriteMarker.Is("w1.x.canal-write.cluster.local"));
        // A Service in a namespace named canal-write is a Service like any other.
        Assert.False(WriteMarker.Is("w1-abc.canal-write.svc.cluster.local"));
        // Pod w1-0 of a StatefulSet whose headless Service is canal-write, in namespace apps.
        Assert.False(WriteMarker.Is("w1-0.canal-write.apps.svc.cluster.local"));
    }

    [Fact]
    public void A_store_that_differs_only_by_its_marker_is_up_to_date_and_a_change_swaps_the_marker_and_keeps_every_other_byte()
    {
        var written = CorefileUpdate.Apply(Kubeadm, Plan("helloworld.default.svc.cluster.local"), DnsMode.Hosts, Domain, First).Text;

        var same = (CorefileCheck.Rendered)CorefileCheck.Of(new DnsConfig(written, "1"), Plan("helloworld.default.svc.cluster.local"), DnsMode.Hosts, Domain, Second);
        Assert.True(same.UpToDate);
        Assert.Equal((written, First), (same.Update.Text, same.Update.Marker!.Host));

        var changed = (CorefileCheck.Rendered)CorefileCheck.Of(new DnsConfig(written, "1"), Plan("helloworld.default.svc.cluster.local", "reviews.default.svc.cluster.local"), DnsMode.Hosts, Domain, Second);
        Assert.False(changed.UpToDate);
        Assert.Equal(CorefileUpdate.Apply(Kubeadm, Plan("helloworld.default.svc.cluster.local", "reviews.default.svc.cluster.local"), DnsMode.Hosts, Domain, Second).Text, changed.Update.Text);
    }

    [Fact]
    public void A_section_written_before_markers_existed_is_up_to_date_until_the_plan_changes()
    {
        var unmarked = CorefileUpdate.Apply(Kubeadm, Plan("helloworld.default.svc.cluster.local"), DnsMode.Rewrite, Domain).Text;

        Assert.True(((CorefileCheck.Rendered)CorefileCheck.Of(new DnsConfig(unmarked, "1"), Plan("helloworld.default.svc.cluster.local"), DnsMode.Rewrite, Domain, First)).UpToDate);
        var changed = (CorefileCheck.Rendered)CorefileCheck.Of(new DnsConfig(unmarked, "1"), Plan(), DnsMode.Rewrite, Domain, First);
        Assert.Null(WriteMarker.In(changed.Update.Text));
    }

    [Fact]
    public void A_VirtualService_host_under_the_marker_zone_is_blocked_and_a_namespace_named_like_it_is_not()
    {
        var update = CorefileUpdate.Apply(Kubeadm, Plan("w9-x.canal-write.cluster.local", "a.b.canal-write.cluster.local", "api.canal-write.svc.cluster.local"), DnsMode.Rewrite, Domain, First);

        Assert.Equal(["api.canal-write.svc.cluster.local"], update.Plan.Redirects.Select(r => r.Host));
        Assert.Equal(["api.canal-write.svc.cluster.local"], CorefileUpdate.RedirectedHosts(update.Text));
        Assert.Equal(First, WriteMarker.In(update.Text));
    }

    [Theory]
    [InlineData("reload", "every 30 s ± 15 s (reload's default): a replica can take 45 s after kubelet updates its file to serve a write; 'reload 5s' in the Corefile shortens that to 7.5 s")]
    [InlineData("reload 5s", "every 5 s ± 2.5 s: a replica serves a write within 7.5 s of kubelet updating its file")]
    [InlineData("reload 1m 10s", "every 60 s ± 10 s: a replica can take 70 s after kubelet updates its file to serve a write; 'reload 5s' in the Corefile shortens that to 7.5 s")]
    [InlineData("reload 1s", "every 2 s ± 1 s: a replica serves a write within 3 s of kubelet updating its file")]
    public void The_reload_interval_says_what_to_expect_and_how_to_shorten_it(string directive, string described)
    {
        var update = CorefileUpdate.Apply(Kubeadm.Replace("    reload\n", $"    {directive}\n"), Plan("helloworld.default.svc.cluster.local"), DnsMode.Hosts, Domain);

        Assert.Equal(described, update.Reload!.Describe());
    }
}
