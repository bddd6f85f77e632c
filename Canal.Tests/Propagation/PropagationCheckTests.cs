using Canal.Dns;
using Canal.Istio;
using Canal.Node.Local;
using Canal.Node.Probing;
using Canal.Propagation;

namespace Canal.Tests.Propagation;

/// <summary>What a write is confirmed by (pure), where each host stands after it, and how replicas are read.</summary>
public sealed class PropagationCheckTests
{
    private const string Gateway = "canal.istio-system.svc.cluster.local";
    private static readonly string Kubeadm = DefaultCorefile.For("cluster.local");

    private static string Host(int i) => $"svc-{i:D3}.default.svc.cluster.local";

    private static CorefileUpdate Render(string corefile, DnsMode mode, params string[] hosts) =>
        CorefileUpdate.Apply(corefile, new RedirectPlan([.. hosts.Select(h => new Redirect(h, Gateway, ["10.96.0.50"]))], []), mode, "cluster.local");

    [Fact]
    public void A_write_is_checked_by_a_few_names_spread_over_those_added_and_those_removed()
    {
        var before = Render(Kubeadm, DnsMode.Rewrite, [.. Enumerable.Range(0, 10).Select(Host)]).Text;
        var update = Render(before, DnsMode.Rewrite, [.. Enumerable.Range(5, 100).Select(Host)]);

        var check = PropagationCheck.Of(before, update);

        Assert.Equal([Host(10), Host(57), Host(104), Host(0), Host(2), Host(4)], check.Names.Select(n => n.Host));
        Assert.Equal([true, true, true, false, false, false], check.Names.Select(n => n.Redirected));
        Assert.All(check.Names, n => Assert.Equal(Gateway, n.GatewayFqdn));
        Assert.Equal((true, 9153), (check.Reloads, check.MetricsPort));
    }

    [Fact]
    public void A_name_moved_to_another_gateway_is_checked_against_the_new_one()
    {
        var before = Render(Kubeadm, DnsMode.Hosts, Host(1)).Text;
        var moved = CorefileUpdate.Apply(before, new RedirectPlan([new Redirect(Host(1), "other.istio-system.svc.cluster.local", ["10.96.0.60"])], []), DnsMode.Hosts, "cluster.local");

        var check = Assert.Single(PropagationCheck.Of(before, moved).Names);

        Assert.Equal((Host(1), true, "10.96.0.60"), (check.Host, check.Redirected, check.GatewayIPs.Single()));
    }

    [Fact]
    public void A_cluster_block_without_reload_or_prometheus_says_so_and_custom_mode_does_not_know()
    {
        var bare = Kubeadm.Replace("    reload\n", "").Replace("    prometheus :9153\n", "");
        var update = Render(bare, DnsMode.Rewrite, Host(1));
        Assert.Equal((false, (int?)null), (PropagationCheck.Of(bare, update).Reloads, PropagationCheck.Of(bare, update).MetricsPort));

        var custom = Render("", DnsMode.Custom, Host(1));
        Assert.Equal(((bool?)null, (int?)null), (custom.Reloads, custom.MetricsPort));
        Assert.Equal(9253, Render(Kubeadm.Replace("prometheus :9153", "prometheus 0.0.0.0:9253"), DnsMode.Rewrite, Host(1)).MetricsPort);
    }

    [Fact]
    public void A_redirected_name_must_answer_only_gateway_addresses_and_a_removed_one_none_of_them()
    {
        var added = new NameCheck(Host(1), true, Gateway, []);
        var removed = added with { Redirected = false };
        string[] gateway = ["10.96.0.50"];

        Assert.True(added.SatisfiedBy(["10.96.0.50"], gateway));
        Assert.False(added.SatisfiedBy([], gateway));
        Assert.False(added.SatisfiedBy(["10.96.0.50", "10.96.0.10"], gateway));
        Assert.True(removed.SatisfiedBy(["10.96.0.10"], gateway));
        Assert.True(removed.SatisfiedBy([], gateway));
        Assert.False(removed.SatisfiedBy(["10.96.0.50"], gateway));
    }

    [Fact]
    public void Hosts_changed_since_the_newest_live_write_show_its_state_and_the_others_are_live()
    {
        var record = new PropagationRecord();
        var at = DateTimeOffset.UnixEpoch;
        record.Written(1, at, [Host(1)]);
        record.Written(2, at, [Host(2)]);
        Assert.Equal((null, "pending"), (record.HostStates().Redirected, record.HostStates().Changed[Host(1)]));

        record.Update(new WritePropagation(1, at, PropagationState.Live, 2, 2, 30));
        record.Update(new WritePropagation(2, at, PropagationState.NotLive, 1, 2, 180));
        var (redirected, changed) = record.HostStates();

        Assert.Equal("live", redirected);
        Assert.Equal(new Dictionary<string, string> { [Host(2)] = "not live" }, changed);
        Assert.Equal([2L, 1L], record.Recent.Select(w => w.Write));
    }

    [Fact]
    public void Only_the_last_writes_are_kept()
    {
        var record = new PropagationRecord();
        for (var write = 1; write <= PropagationRecord.Kept + 5; write++)
            record.Written(write, DateTimeOffset.UnixEpoch, [Host(write)]);

        Assert.Equal(PropagationRecord.Kept, record.Recent.Count);
        Assert.Equal(PropagationRecord.Kept, record.HostStates().Changed.Count);
        Assert.DoesNotContain(Host(1), record.HostStates().Changed.Keys);
    }

    [Fact]
    public void Reload_failures_are_summed_from_a_metrics_page_and_absent_without_the_metric()
    {
        const string page = """
            # HELP coredns_reload_failed_total Counter of the number of failed reload attempts.
            # TYPE coredns_reload_failed_total counter
            coredns_reload_failed_total 2
            coredns_reload_failed_total_other 7
            coredns_reload_version_info{hash="sha512",value="abc"} 1
            """;
        Assert.Equal(2, CoreDnsProbe.ReloadFailures(page));
        Assert.Null(CoreDnsProbe.ReloadFailures("coredns_dns_requests_total 5\n"));
    }

    [Theory]
    [InlineData("127.0.0.1:5353", "")]
    [InlineData("[::1]:53", "")]
    [InlineData("localhost:53", "--dns-probe localhost:53 is not an address and port such as 127.0.0.1:53")]
    [InlineData("127.0.0.1", "--dns-probe 127.0.0.1 is not an address and port such as 127.0.0.1:53")]
    public void A_dns_probe_address_is_an_IP_address_and_a_port(string address, string error)
    {
        var replicas = CoreDnsProbe.Fixed([address], out var problem);
        Assert.Equal(error, problem);
        Assert.Equal(error.Length == 0, replicas != null);
    }
}
