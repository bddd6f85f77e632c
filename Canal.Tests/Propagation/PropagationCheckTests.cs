using Canal.Dns;
using Canal.Istio;
using Canal.Node.Local;
using Canal.Node.Probing;
using Canal.Propagation;
using k8s.Models;

namespace Canal.Tests.Propagation;

/// <summary>What a write is confirmed by (pure), where each host stands after it, and how replicas are read.</summary>
public sealed class PropagationCheckTests
{
    private const string Gateway = "canal.istio-system.svc.cluster.local";
    private static readonly string Kubeadm = DefaultCorefile.For("cluster.local");

    private static string Host(int i) => $"svc-{i:D3}.default.svc.cluster.local";

    private static CorefileUpdate Render(string corefile, DnsMode mode, params string[] hosts) =>
        CorefileUpdate.Apply(corefile, new RedirectPlan([.. hosts.Select(h => new Redirect(h, Gateway, ["10.96.0.50"]))], []), mode, "cluster.local");

    private static PropagationCheck Check(string before, CorefileUpdate update, string? served = null)
    {
        var (replaced, now) = (PropagationCheck.Entries(before), PropagationCheck.Entries(update));
        return PropagationCheck.Of(update, now, replaced, PropagationCheck.Changed(replaced, now), served == null ? replaced : PropagationCheck.Entries(served), []);
    }

    [Fact]
    public void A_write_is_checked_by_a_few_names_spread_over_those_added_and_those_removed()
    {
        var before = Render(Kubeadm, DnsMode.Rewrite, [.. Enumerable.Range(0, 10).Select(Host)]).Text;
        var update = Render(before, DnsMode.Rewrite, [.. Enumerable.Range(5, 100).Select(Host)]);

        var check = Check(before, update);

        Assert.Equal([Host(10), Host(57), Host(104), Host(0), Host(2), Host(4)], check.Names.Select(n => n.Host));
        Assert.Equal([true, true, true, false, false, false], check.Names.Select(n => n.Redirected));
        Assert.All(check.Names, n => Assert.Equal((Gateway, 0), (n.GatewayFqdn, n.GatewayIPs.Count)));
        Assert.Equal((true, 9153), (check.Reloads, check.MetricsPort));
    }

    [Fact]
    public void Names_that_differ_from_what_the_replicas_serve_are_checked_as_well_as_the_writes_own()
    {
        var served = Kubeadm;
        var first = Render(served, DnsMode.Hosts, Host(1), Host(2));
        var second = Render(first.Text, DnsMode.Hosts, Host(2));

        var check = Check(first.Text, second, served);

        Assert.Equal([(Host(1), false), (Host(2), true)], check.Names.Select(n => (n.Host, n.Redirected)));
    }

    [Fact]
    public void A_name_moved_to_another_gateway_is_checked_against_the_new_one()
    {
        var before = Render(Kubeadm, DnsMode.Hosts, Host(1)).Text;
        var moved = CorefileUpdate.Apply(before, new RedirectPlan([new Redirect(Host(1), "other.istio-system.svc.cluster.local", ["10.96.0.60"])], []), DnsMode.Hosts, "cluster.local");

        var check = Assert.Single(Check(before, moved).Names);

        Assert.Equal((Host(1), true, "", "10.96.0.60"), (check.Host, check.Redirected, check.GatewayFqdn, check.GatewayIPs.Single()));
    }

    [Theory]
    [InlineData("    prometheus :9153\n", 9153)]
    [InlineData("    prometheus 0.0.0.0:9253\n", 9253)]
    [InlineData("    prometheus\n", null)]
    [InlineData("    prometheus localhost:9153\n", null)]
    [InlineData("    prometheus 127.0.0.1:9153\n", null)]
    [InlineData("", null)]
    public void The_metrics_port_is_the_prometheus_one_when_others_can_reach_it(string prometheus, int? port) =>
        Assert.Equal(port, Render(Kubeadm.Replace("    prometheus :9153\n", prometheus), DnsMode.Rewrite, Host(1)).MetricsPort);

    [Fact]
    public void Reload_in_any_server_block_reloads_the_Corefile_and_custom_mode_does_not_know()
    {
        var bare = Kubeadm.Replace("    reload\n", "");
        Assert.False(Render(bare, DnsMode.Rewrite, Host(1)).Reloads);
        Assert.True(Render(bare + "example.org:53 {\n    whoami\n    reload\n}\n", DnsMode.Rewrite, Host(1)).Reloads);

        var custom = Render("", DnsMode.Custom, Host(1));
        Assert.Equal(((bool?)null, (int?)null), (custom.Reloads, custom.MetricsPort));
    }

    [Fact]
    public void A_dual_stack_kube_dns_gives_one_replica_per_pod_at_its_IPv4_address_with_its_metrics_port()
    {
        static V1EndpointSlice Slice(string type, string address, params V1Endpoint[] more) => new()
        {
            AddressType = type,
            Ports = [new Discoveryv1EndpointPort { Name = "dns", Port = 53, Protocol = "UDP" }, new Discoveryv1EndpointPort { Name = "metrics", Port = 9153, Protocol = "TCP" }],
            Endpoints = [new V1Endpoint { Addresses = [address], Conditions = new V1EndpointConditions { Ready = true }, TargetRef = new V1ObjectReference { Name = "coredns-a" } }, .. more],
        };
        var notReady = new V1Endpoint { Addresses = ["10.0.0.9"], Conditions = new V1EndpointConditions { Ready = false }, TargetRef = new V1ObjectReference { Name = "coredns-b" } };

        var replicas = Canal.Node.Kubernetes.KubeDnsEndpoints.Replicas([Slice("IPv6", "fd00::5"), Slice("IPv4", "10.0.0.5", notReady), Slice("FQDN", "coredns.example")]);

        Assert.Equal([new CoreDnsReplica("coredns-a", "10.0.0.5", 53, 9153)], replicas);
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
    public void Only_the_last_writes_are_kept_and_the_hosts_of_those_dropped_unconfirmed_follow_the_oldest_kept()
    {
        var record = new PropagationRecord();
        for (var write = 1; write <= PropagationRecord.Kept + 5; write++)
            record.Written(write, DateTimeOffset.UnixEpoch, [Host(write)]);

        Assert.Equal(PropagationRecord.Kept, record.Recent.Count);
        Assert.Equal("pending", record.HostStates().Changed[Host(1)]);
        record.Update(new WritePropagation(6, DateTimeOffset.UnixEpoch, PropagationState.Live, 1, 1, 30));

        Assert.Equal(PropagationRecord.Kept - 1, record.HostStates().Changed.Count);
        Assert.DoesNotContain(Host(1), record.HostStates().Changed.Keys);
        record.Update(new WritePropagation(8, DateTimeOffset.UnixEpoch, PropagationState.Live, 1, 1, 20));
        Assert.Equal((PropagationState.Live, (long?)8), (record.Recent.Single(w => w.Write == 7).State, record.Recent.Single(w => w.Write == 7).With));
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
        Assert.Equal(2, DnsClientReplicas.ReloadFailures(page));
        Assert.Null(DnsClientReplicas.ReloadFailures("coredns_dns_requests_total 5\n"));
    }

    [Theory]
    [InlineData("127.0.0.1:5353", "")]
    [InlineData("[::1]:53", "")]
    [InlineData("localhost:53", "--dns-probe localhost:53 is not an address and port such as 127.0.0.1:53")]
    [InlineData("127.0.0.1", "--dns-probe 127.0.0.1 is not an address and port such as 127.0.0.1:53")]
    public void A_dns_probe_address_is_an_IP_address_and_a_port(string address, string error)
    {
        var replicas = DnsClientReplicas.Fixed([address], out var problem);
        Assert.Equal(error, problem);
        Assert.Equal(error.Length == 0, replicas != null);
    }
}
