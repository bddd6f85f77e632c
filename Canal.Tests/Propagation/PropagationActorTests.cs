using Akka.Actor;
using Akka.TestKit.Xunit2;
using Canal.Dns;
using Canal.Istio;
using Canal.Node.Local;
using Canal.Node.Probing;
using Canal.Propagation;
using Canal.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Canal.Tests.Propagation;

/// <summary>
/// The propagation probe against real DNS servers on loopback, one per CoreDNS replica, each answering as the test
/// says; the writes are real renders of kubeadm's Corefile, the deadline and the times come from a fake clock.
/// </summary>
public sealed class PropagationActorTests() : TestKit(ActorTestConfig.Hocon), IDisposable
{
    private const string Gateway = "canal.istio-system.svc.cluster.local";
    private const string GatewayIp = "10.96.0.50";
    private const string Other = "other.istio-system.svc.cluster.local";
    private const string OtherIp = "10.96.0.60";
    private const string Hello = "helloworld.default.svc.cluster.local";
    private const string HelloIp = "10.96.0.10";
    private const string Reviews = "reviews.default.svc.cluster.local";
    private const string ReviewsIp = "10.96.0.11";

    private static readonly PropagationSettings Settings = new() { Interval = TimeSpan.FromMilliseconds(20), LateInterval = TimeSpan.FromMilliseconds(50) };
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly List<DnsResponder> _replicas = [];
    private string _corefile = DefaultCorefile.For("cluster.local");

    public new void Dispose()
    {
        foreach (var replica in _replicas)
            replica.Dispose();
        base.Dispose();
    }

    /// <summary>A replica that answers as CoreDNS did before any write: every Service at its own address.</summary>
    private DnsResponder Replica(bool metrics = false)
    {
        var replica = DnsResponder.Start(metrics: metrics).Answers(Hello, HelloIp).Answers(Reviews, ReviewsIp).Answers(Gateway, GatewayIp).Answers(Other, OtherIp);
        lock (_replicas)
            _replicas.Add(replica);
        return replica;
    }

    /// <summary>The probe, listing the replicas started so far each time it lists them.</summary>
    private IActorRef StartProbe() =>
        ChildActorOf(PropagationActor.Props(new DnsClientReplicas("kube-system/kube-dns", _ => Task.FromResult(Listed())), Settings, _clock));

    private IReadOnlyList<CoreDnsReplica> Listed()
    {
        lock (_replicas)
            return [.. _replicas.Select((r, i) => new CoreDnsReplica($"coredns-{i}", r.Address, r.Port, r.MetricsPort == 0 ? null : r.MetricsPort))];
    }

    /// <summary>Canal's write of <paramref name="redirects"/> (host → gateway Service, its address) onto the Corefile as it is.</summary>
    private ProbeWrite Write(long write, DnsMode mode, params (string Host, string Gateway, string Ip)[] redirects)
    {
        var update = CorefileUpdate.Apply(_corefile, new RedirectPlan([.. redirects.Select(r => new Redirect(r.Host, r.Gateway, r.Ip.Split(',')))], []), mode, "cluster.local");
        var (before, now) = (PropagationCheck.Entries(_corefile), PropagationCheck.Entries(update));
        _corefile = update.Text;
        return new ProbeWrite(write, _clock.GetUtcNow(), before, now, PropagationCheck.Changed(before, now), update);
    }

    private ProbeWrite Write(long write, params string[] hosts) => Write(write, DnsMode.Hosts, [.. hosts.Select(h => (h, Gateway, GatewayIp))]);

    /// <summary>Waits for <paramref name="rounds"/> more reports of <paramref name="write"/> pending: rounds planned after it was taken in.</summary>
    private void Rounds(long write, int rounds = 3)
    {
        for (var i = 0; i < rounds; i++)
            Until(write, PropagationState.Pending);
    }

    /// <summary>The reports the probe sends its parent until one for <paramref name="write"/> is in <paramref name="state"/>.</summary>
    private WritePropagation Until(long write, PropagationState state, int? live = null) =>
        (WritePropagation)FishForMessage(m => m is WritePropagation p && p.Write == write && p.State == state && (live == null || p.Live == live), TimeSpan.FromSeconds(10));

    [Fact]
    public void A_write_is_live_once_every_replica_answers_the_gateway_and_the_time_runs_to_the_last_of_them()
    {
        var (first, second) = (Replica(), Replica());
        var probe = StartProbe();
        probe.Tell(Write(1, Hello));
        Until(1, PropagationState.Pending);
        first.Answers(Hello, GatewayIp);
        _clock.Advance(TimeSpan.FromSeconds(12));
        Assert.Equal(2, Until(1, PropagationState.Pending, live: 1).Replicas);
        _clock.Advance(TimeSpan.FromSeconds(30));
        second.Answers(Hello, GatewayIp);

        var live = Until(1, PropagationState.Live);
        Assert.Equal((2, 2, 42.0), (live.Live, live.Replicas, live.Seconds));
        Assert.Equal("live on 2/2 replicas after 42.0 s", live.Describe());
    }

    [Fact]
    public void A_removed_name_is_live_once_no_replica_answers_the_gateway_for_it()
    {
        var replica = Replica().Answers(Reviews, GatewayIp);
        var probe = StartProbe();
        probe.Tell(Write(1, Reviews));
        Until(1, PropagationState.Live);
        probe.Tell(Write(2));
        Until(2, PropagationState.Pending);
        replica.Answers(Reviews, ReviewsIp);

        Until(2, PropagationState.Live);
    }

    [Fact]
    public void In_rewrite_mode_each_replica_is_asked_for_the_gateways_own_name()
    {
        var replica = Replica().Answers(Gateway, "10.96.7.7").Answers(Hello, GatewayIp);
        StartProbe().Tell(Write(1, DnsMode.Rewrite, (Hello, Gateway, GatewayIp)));
        // What the rewrite answers is whatever the gateway's name answers on that replica.
        Until(1, PropagationState.Pending);
        replica.Answers(Hello, "10.96.7.7");

        Assert.Equal(1, Until(1, PropagationState.Live).Live);
    }

    [Fact]
    public void A_name_withdrawn_after_its_gateway_Service_was_deleted_is_live_once_it_answers_no_gateway()
    {
        var replica = Replica().Answers(Hello, GatewayIp);
        var probe = StartProbe();
        probe.Tell(Write(1, DnsMode.Rewrite, (Hello, Gateway, GatewayIp)));
        Until(1, PropagationState.Live);
        probe.Tell(Write(2, DnsMode.Rewrite));
        Rounds(2);
        // The gateway Service goes, and the replica reloads: helloworld answers its own address.
        replica.Answers(Gateway).Answers(Hello, HelloIp);

        Until(2, PropagationState.Live);
    }

    [Fact]
    public void A_gateway_name_that_gets_no_answer_proves_nothing_about_a_withdrawn_name()
    {
        var replica = Replica().Answers(Hello, GatewayIp);
        var probe = StartProbe();
        probe.Tell(Write(1, DnsMode.Rewrite, (Hello, Gateway, GatewayIp)));
        Until(1, PropagationState.Live);
        replica.Ignores(Gateway);
        probe.Tell(Write(2, DnsMode.Rewrite));
        Rounds(2);
        replica.Ignores(Gateway, false);
        Rounds(2);
        replica.Answers(Hello, HelloIp);

        Until(2, PropagationState.Live);
    }

    [Fact]
    public void A_name_given_a_second_address_is_live_only_when_both_are_answered()
    {
        var replica = Replica().Answers(Hello, GatewayIp);
        var probe = StartProbe();
        probe.Tell(Write(1, Hello));
        Until(1, PropagationState.Live);
        probe.Tell(Write(2, DnsMode.Hosts, (Hello, Gateway, $"{GatewayIp},10.96.0.51")));
        Rounds(2);
        replica.Answers(Hello, GatewayIp, "10.96.0.51");

        Until(2, PropagationState.Live);
    }

    [Fact]
    public void A_stream_of_writes_faster_than_the_rounds_still_gets_its_writes_confirmed()
    {
        lock (_replicas)
            _replicas.Add(DnsResponder.Serving(() => _corefile, new Dictionary<string, string>()));
        var probe = StartProbe();
        // Each write waits only for the probe to take it in: far faster than a round.
        for (var write = 1; write <= 2000; write++)
        {
            probe.Tell(Write(write, $"svc-{write}.default.svc.cluster.local"));
            if (FishForMessage(m => m is WritePropagation p && (p.Write == write || p.State == PropagationState.Live), TimeSpan.FromSeconds(10)) is WritePropagation { State: PropagationState.Live })
                return;
        }
        Assert.Fail("no write was confirmed while writes kept coming");
    }

    [Fact]
    public void A_gateway_with_only_IPv6_addresses_is_checked_with_AAAA_answers()
    {
        Replica().Answers(Hello, "fd00::50");
        StartProbe().Tell(Write(1, DnsMode.Hosts, (Hello, Gateway, "fd00:0::50")));

        Until(1, PropagationState.Live);
    }

    [Fact]
    public void A_name_withdrawn_from_one_of_two_gateways_is_pending_while_a_replica_still_answers_that_gateway()
    {
        var replica = Replica().Answers(Hello, GatewayIp).Answers(Reviews, OtherIp);
        var probe = StartProbe();
        probe.Tell(Write(1, DnsMode.Hosts, (Hello, Gateway, GatewayIp), (Reviews, Other, OtherIp)));
        Until(1, PropagationState.Live);
        probe.Tell(Write(2, DnsMode.Hosts, (Hello, Gateway, GatewayIp)));
        Until(2, PropagationState.Pending);
        Until(2, PropagationState.Pending);
        replica.Answers(Reviews, ReviewsIp);

        Until(2, PropagationState.Live);
    }

    [Fact]
    public void A_write_that_undoes_one_not_yet_loaded_is_not_live_on_a_replica_still_before_both()
    {
        var replica = Replica();
        var probe = StartProbe();
        probe.Tell(Write(1, Hello, Reviews));
        probe.Tell(Write(2, Reviews));
        // Write 2's own change (helloworld withdrawn) already holds on this replica; reviews, which it keeps, does not.
        Rounds(2);
        replica.Answers(Reviews, GatewayIp);

        Assert.Equal(2L, Until(1, PropagationState.Live).With);
        Until(2, PropagationState.Live);
    }

    [Fact]
    public void Each_write_has_its_own_deadline_and_an_older_one_shown_meanwhile_is_live()
    {
        var replica = Replica();
        var probe = StartProbe();
        probe.Tell(Write(1, Hello));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromSeconds(170));
        probe.Tell(Write(2, Hello, Reviews));
        Until(2, PropagationState.Pending);
        replica.Answers(Hello, GatewayIp);
        Assert.Null(Until(1, PropagationState.Live).With);
        _clock.Advance(TimeSpan.FromSeconds(20));

        // Write 2 is 20 s old: pending through rounds planned after write 1's deadline, never late.
        var seen = new List<WritePropagation>();
        FishForMessage(m =>
        {
            if (m is not WritePropagation p)
                return false;
            seen.Add(p);
            return seen.Count(s => s is { Write: 2, State: PropagationState.Pending, Seconds: >= 20 }) == 3;
        }, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(seen, p => p.State == PropagationState.NotLive);
    }

    [Fact]
    public void One_stale_replica_keeps_the_write_pending_and_after_the_deadline_it_is_named_as_not_live()
    {
        Replica().Answers(Hello, GatewayIp);
        Replica();
        StartProbe().Tell(Write(1, Hello));
        Until(1, PropagationState.Pending, live: 1);
        _clock.Advance(TimeSpan.FromMinutes(3));

        var missed = Until(1, PropagationState.NotLive);
        Assert.Equal(["coredns-1"], missed.NotLive);
        Assert.Equal(1, missed.Live);
        Assert.StartsWith("it still answers as before the write", missed.Cause);
        Assert.StartsWith("not live within its 3 min deadline (180.0 s after the write) on coredns-1 (1/2 live): ", missed.Describe());
    }

    [Fact]
    public void A_replica_that_never_answers_is_not_live_because_it_did_not_answer()
    {
        Replica().Silent = true;
        StartProbe().Tell(Write(1, Hello));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromMinutes(3));

        var cause = Until(1, PropagationState.NotLive).Cause;
        Assert.True(cause!.StartsWith("it did not answer Canal's DNS questions (no answer); ", StringComparison.Ordinal), cause);
    }

    [Fact]
    public void A_Corefile_without_reload_is_named_as_the_cause()
    {
        Replica();
        _corefile = _corefile.Replace("    reload\n", "");
        StartProbe().Tell(Write(1, Hello));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.StartsWith("the Corefile has no 'reload'", Until(1, PropagationState.NotLive).Cause);
    }

    [Fact]
    public void A_replica_whose_reload_failed_since_the_write_says_so_through_its_metrics()
    {
        var replica = Replica(metrics: true);
        replica.ReloadFailures = 1;
        StartProbe().Tell(Write(1, Hello));
        // Once from the write, once from the first round, which read the counter to start from.
        Until(1, PropagationState.Pending);
        Until(1, PropagationState.Pending);
        replica.ReloadFailures = 2;
        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.StartsWith("its coredns_reload_failed_total went from 1 to 2: it could not load the new Corefile", Until(1, PropagationState.NotLive).Cause);
    }

    [Fact]
    public void A_late_reload_after_the_deadline_still_turns_the_write_live()
    {
        var replica = Replica();
        StartProbe().Tell(Write(1, Hello));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromMinutes(3));
        Until(1, PropagationState.NotLive);
        _clock.Advance(TimeSpan.FromMinutes(1));
        replica.Answers(Hello, GatewayIp);

        Assert.Equal(240, Until(1, PropagationState.Live).Seconds);
    }

    [Fact]
    public void A_replica_that_joins_while_a_write_is_pending_has_to_show_it_too()
    {
        var first = Replica();
        var probe = StartProbe();
        probe.Tell(Write(1, Hello));
        Until(1, PropagationState.Pending, live: 0);
        var second = Replica();
        FishForMessage(m => m is WritePropagation { Write: 1, Replicas: 2 }, TimeSpan.FromSeconds(10));
        first.Answers(Hello, GatewayIp);
        Until(1, PropagationState.Pending, live: 1);
        second.Answers(Hello, GatewayIp);

        var live = Until(1, PropagationState.Live);
        Assert.Equal((2, 2), (live.Live, live.Replicas));
    }

    [Fact]
    public void A_replica_that_answers_slowly_is_still_confirmed()
    {
        Replica().Answers(Hello, GatewayIp);
        Replica().Answers(Hello, GatewayIp).Delay = TimeSpan.FromMilliseconds(500);
        StartProbe().Tell(Write(1, Hello));

        Assert.Equal(2, Until(1, PropagationState.Live).Live);
    }

    [Fact]
    public void A_write_that_changed_no_name_is_not_checked_and_asks_no_replica()
    {
        var replica = Replica();
        var probe = StartProbe();
        probe.Tell(Write(1));

        Assert.Equal("not checked: no redirected name differs from what CoreDNS serves", Until(1, PropagationState.Unchecked).Describe());
        // A write after it is asked about: by then the probe would have asked for the first, had it meant to.
        probe.Tell(Write(2, Hello));
        Rounds(2);
        Assert.Equal(0, replica.QuestionsAbout(Gateway));
    }

    [Fact]
    public void No_replica_at_all_is_reported_when_the_deadline_passes()
    {
        StartProbe().Tell(Write(1, Hello));
        Assert.Equal("no CoreDNS replica found at kube-system/kube-dns yet", Until(1, PropagationState.Pending).Cause);
        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.StartsWith("no CoreDNS replica was found at kube-system/kube-dns (no ready endpoint", Until(1, PropagationState.NotLive).Cause);
    }

    /// <summary>A replica serving the Corefile it was last given (<paramref name="view"/>), as CoreDNS with its reload does.</summary>
    private DnsResponder Serving(Func<string> view)
    {
        var replica = DnsResponder.Serving(view, new Dictionary<string, string> { [Gateway] = GatewayIp, [Hello] = HelloIp, [Reviews] = ReviewsIp });
        lock (_replicas)
            _replicas.Add(replica);
        return replica;
    }

    /// <summary>Canal's write as it makes them: with the write's marker.</summary>
    private ProbeWrite MarkedWrite(long write, DnsMode mode, params string[] hosts)
    {
        var update = CorefileUpdate.Apply(_corefile, new RedirectPlan([.. hosts.Select(h => new Redirect(h, Gateway, [GatewayIp]))], []), mode, "cluster.local",
            WriteMarker.Name(write, 7, "cluster.local"));
        var (before, now) = (PropagationCheck.Entries(_corefile), PropagationCheck.Entries(update));
        _corefile = update.Text;
        return new ProbeWrite(write, _clock.GetUtcNow(), before, now, PropagationCheck.Changed(before, now), update);
    }

    [Fact]
    public void Switching_from_hosts_to_rewrite_mode_changes_no_answer_and_is_live_only_once_each_replica_answers_the_new_sections_marker()
    {
        var (fresh, stale) = ("", "");
        Serving(() => fresh);
        Serving(() => stale);
        var probe = StartProbe();
        probe.Tell(MarkedWrite(1, DnsMode.Hosts, Hello));
        fresh = stale = _corefile;
        Until(1, PropagationState.Live);

        // The same redirect again in rewrite mode: every name answers as before, on both replicas.
        probe.Tell(MarkedWrite(2, DnsMode.Rewrite, Hello));
        fresh = _corefile;
        Assert.Equal(1, Until(2, PropagationState.Pending, live: 1).Live);
        Rounds(2);
        stale = _corefile;

        Assert.Equal(2, Until(2, PropagationState.Live).Live);
    }

    [Fact]
    public void A_replica_that_starts_answering_late_is_reported_at_the_time_of_the_round_that_first_saw_it()
    {
        var served = "";
        Serving(() => served);
        var probe = StartProbe();
        probe.Tell(MarkedWrite(1, DnsMode.Hosts, Hello));
        Rounds(1);
        _clock.Advance(TimeSpan.FromSeconds(25));
        served = _corefile;
        Assert.Equal(25.0, Until(1, PropagationState.Live).Seconds);

        // Past the deadline rounds keep coming, LateInterval apart: the time is still the round's.
        probe.Tell(MarkedWrite(2, DnsMode.Hosts, Hello, Reviews));
        _clock.Advance(TimeSpan.FromMinutes(3));
        Until(2, PropagationState.NotLive);
        _clock.Advance(TimeSpan.FromSeconds(7));
        served = _corefile;

        Assert.Equal(187.0, Until(2, PropagationState.Live).Seconds);
    }
}
