using Akka.Actor;
using Akka.TestKit.Xunit2;
using Canal.Dns;
using Canal.Node.Probing;
using Canal.Propagation;
using Canal.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Canal.Tests.Propagation;

/// <summary>
/// The propagation probe against real DNS servers on loopback, one per CoreDNS replica, each answering as the test
/// says; the deadline and the times come from a fake clock.
/// </summary>
public sealed class PropagationActorTests() : TestKit(ActorTestConfig.Hocon), IDisposable
{
    private const string Gateway = "canal.istio-system.svc.cluster.local";
    private const string GatewayIp = "10.96.0.50";
    private const string Hello = "helloworld.default.svc.cluster.local";
    private const string HelloIp = "10.96.0.10";
    private const string Reviews = "reviews.default.svc.cluster.local";
    private const string ReviewsIp = "10.96.0.11";

    private static readonly PropagationSettings Settings = new() { Interval = TimeSpan.FromMilliseconds(20), LateInterval = TimeSpan.FromMilliseconds(50) };
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly List<DnsResponder> _replicas = [];

    public new void Dispose()
    {
        foreach (var replica in _replicas)
            replica.Dispose();
        base.Dispose();
    }

    /// <summary>A replica that answers as CoreDNS did before the write: every Service at its own address.</summary>
    private DnsResponder Replica(bool metrics = false)
    {
        var replica = DnsResponder.Start(metrics: metrics).Answers(Hello, HelloIp).Answers(Reviews, ReviewsIp).Answers(Gateway, GatewayIp);
        _replicas.Add(replica);
        return replica;
    }

    private IActorRef StartProbe(PropagationSettings? settings = null)
    {
        IReadOnlyList<CoreDnsReplica> replicas = [.. _replicas.Select((r, i) => new CoreDnsReplica($"coredns-{i}", r.Address, r.Port))];
        return ChildActorOf(PropagationActor.Props(new CoreDnsProbe("kube-system/kube-dns", _ => Task.FromResult(replicas)), settings ?? Settings, _clock));
    }

    private static NameCheck Added(string host, bool byName = false) => new(host, true, Gateway, byName ? [] : [GatewayIp]);

    private static NameCheck Removed(string host) => new(host, false, Gateway, [GatewayIp]);

    private ProbeWrite Write(long write, bool? reloads = true, int? metricsPort = null, params NameCheck[] names) =>
        new(write, _clock.GetUtcNow(), new PropagationCheck(names, reloads, metricsPort));

    /// <summary>The reports the probe sends its parent until one for <paramref name="write"/> is in <paramref name="state"/>.</summary>
    private WritePropagation Until(long write, PropagationState state, int? live = null) =>
        (WritePropagation)FishForMessage(m => m is WritePropagation p && p.Write == write && p.State == state && (live == null || p.Live == live), TimeSpan.FromSeconds(10));

    [Fact]
    public void A_write_is_live_once_every_replica_answers_the_gateway_and_the_time_runs_to_the_last_of_them()
    {
        var (first, second) = (Replica(), Replica());
        var probe = StartProbe();
        probe.Tell(Write(1, names: Added(Hello)));
        Until(1, PropagationState.Pending);
        first.Answers(Hello, GatewayIp);
        _clock.Advance(TimeSpan.FromSeconds(12));
        Assert.Equal(2, Until(1, PropagationState.Pending, live: 1).Replicas);
        _clock.Advance(TimeSpan.FromSeconds(30));
        second.Answers(Hello, GatewayIp);

        var live = Until(1, PropagationState.Live);
        Assert.Equal((2, 2), (live.Live, live.Replicas));
        Assert.Equal(42, live.Seconds);
        Assert.Equal("live on 2/2 replicas after 42.0 s", live.Describe());
    }

    [Fact]
    public void A_removed_name_is_live_once_no_replica_answers_the_gateway_for_it()
    {
        var replica = Replica().Answers(Reviews, GatewayIp);
        var probe = StartProbe();
        probe.Tell(Write(1, names: Removed(Reviews)));
        Until(1, PropagationState.Pending);
        replica.Answers(Reviews);

        Until(1, PropagationState.Live);
    }

    [Fact]
    public void In_rewrite_mode_the_gateway_is_known_by_name_and_each_replica_is_asked_for_its_address()
    {
        Replica().Answers(Hello, GatewayIp);
        StartProbe().Tell(Write(1, names: Added(Hello, byName: true)));

        Assert.Equal(1, Until(1, PropagationState.Live).Live);
    }

    [Fact]
    public void One_stale_replica_keeps_the_write_pending_and_after_the_deadline_it_is_named_as_not_live()
    {
        Replica().Answers(Hello, GatewayIp);
        Replica();
        var probe = StartProbe();
        probe.Tell(Write(1, names: Added(Hello)));
        Until(1, PropagationState.Pending, live: 1);
        _clock.Advance(TimeSpan.FromMinutes(3));

        var missed = Until(1, PropagationState.NotLive);
        Assert.Equal(["coredns-1"], missed.NotLive);
        Assert.Equal(1, missed.Live);
        Assert.StartsWith("it still answers as before the write", missed.Cause);
        Assert.StartsWith("not live after 3 min on coredns-1 (1/2 live): ", missed.Describe());
    }

    [Fact]
    public void A_replica_that_never_answers_is_not_live_because_it_did_not_answer()
    {
        Replica().Silent = true;
        StartProbe().Tell(Write(1, names: Added(Hello)));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.StartsWith("it did not answer Canal's DNS questions", Until(1, PropagationState.NotLive).Cause);
    }

    [Fact]
    public void A_cluster_block_without_reload_is_named_as_the_cause()
    {
        Replica();
        StartProbe().Tell(Write(1, reloads: false, names: Added(Hello)));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.StartsWith("the cluster block has no 'reload'", Until(1, PropagationState.NotLive).Cause);
    }

    [Fact]
    public void A_replica_whose_reload_failed_says_so_through_its_metrics()
    {
        var replica = Replica(metrics: true);
        replica.ReloadFailures = 2;
        StartProbe().Tell(Write(1, metricsPort: replica.MetricsPort, names: Added(Hello)));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.StartsWith("its coredns_reload_failed_total is 2: it could not load the new Corefile", Until(1, PropagationState.NotLive).Cause);
    }

    [Fact]
    public void A_late_reload_after_the_deadline_still_turns_the_write_live()
    {
        var replica = Replica();
        StartProbe().Tell(Write(1, names: Added(Hello)));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromMinutes(3));
        Until(1, PropagationState.NotLive);
        _clock.Advance(TimeSpan.FromMinutes(1));
        replica.Answers(Hello, GatewayIp);

        Assert.Equal(240, Until(1, PropagationState.Live).Seconds);
    }

    [Fact]
    public void A_slow_replica_delays_only_its_own_answer()
    {
        Replica().Answers(Hello, GatewayIp);
        Replica().Answers(Hello, GatewayIp).Delay = TimeSpan.FromMilliseconds(500);
        StartProbe().Tell(Write(1, names: Added(Hello)));

        Assert.Equal(2, Until(1, PropagationState.Live).Live);
    }

    [Fact]
    public void A_newer_write_takes_over_the_pending_one_and_both_are_confirmed_with_it()
    {
        var replica = Replica();
        var probe = StartProbe();
        probe.Tell(Write(1, names: Added(Hello)));
        Until(1, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromSeconds(10));
        probe.Tell(Write(2, names: Added(Reviews)));
        Until(2, PropagationState.Pending);
        _clock.Advance(TimeSpan.FromSeconds(5));
        replica.Answers(Reviews, GatewayIp);

        var first = Until(1, PropagationState.Live);
        var second = Until(2, PropagationState.Live);
        Assert.Equal((5, null), (second.Seconds, second.With));
        Assert.Equal((15, 2L), (first.Seconds, first.With));
    }

    [Fact]
    public void A_write_that_changed_no_name_is_not_checked_and_asks_no_replica()
    {
        var replica = Replica();
        StartProbe().Tell(Write(1));

        var unchecked_ = Until(1, PropagationState.Unchecked);
        Assert.Equal("not checked: no redirected name changed", unchecked_.Describe());
        Assert.Equal(0, replica.Questions);
    }

    [Fact]
    public void No_replica_at_all_is_reported_when_the_deadline_passes()
    {
        StartProbe().Tell(Write(1, names: Added(Hello)));
        Assert.Equal("no CoreDNS replica found at kube-system/kube-dns yet", Until(1, PropagationState.Pending).Cause);
        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.StartsWith("no CoreDNS replica was found at kube-system/kube-dns (no ready endpoint", Until(1, PropagationState.NotLive).Cause);
    }
}
