using Canal.Dns;
using Canal.Istio;
using Canal.Node.Local;
using Canal.Propagation;

namespace Canal.Tests.Propagation;

/// <summary>The probe's pure state, fed rounds by hand: which writes are asked, and what an answer proves.</summary>
public sealed class PendingWritesTests
{
    private const string Gateway = "canal.istio-system.svc.cluster.local";
    private const string GatewayIp = "10.96.0.50";
    private static readonly DateTimeOffset At = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private static readonly CoreDnsReplica Replica = new("coredns-0", "10.0.0.5", 53);

    private readonly PendingWrites _pending = new("kube-system/kube-dns");
    private string _corefile = DefaultCorefile.For("cluster.local");

    private static string Host(int i) => $"svc-{i}.default.svc.cluster.local";

    private void Write(long write, params string[] hosts)
    {
        var update = CorefileUpdate.Apply(_corefile, new RedirectPlan([.. hosts.Select(h => new Redirect(h, Gateway, [GatewayIp]))], []), DnsMode.Hosts, "cluster.local");
        var (before, now) = (PropagationCheck.Entries(_corefile), PropagationCheck.Entries(update));
        _corefile = update.Text;
        _pending.Add(write, At, before, now, PropagationCheck.Changed(before, now), update, PropagationCheck.DefaultSample);
    }

    /// <summary>The replica answers the gateway for <paramref name="redirected"/> and nothing for the rest of what it was asked.</summary>
    private IReadOnlyList<WritePropagation> Answer(RoundPlan plan, params string[] redirected)
    {
        var asked = plan.Questions.GetValueOrDefault(Replica.Name) ?? plan.Fresh;
        var hosts = asked.ToDictionary(c => (c.Host, false), c => (DnsAnswer)(redirected.Contains(c.Host) ? new DnsAnswer.Addresses([GatewayIp]) : DnsAnswer.NoSuchName.Instance));
        return _pending.Answered(new RoundAnswers(plan, [Replica], null, [new ReplicaAnswers(Replica.Name, hosts, new Dictionary<string, IReadOnlyList<string>>(), null, null)]), At, Deadline, out _);
    }

    [Fact]
    public void Of_many_pending_writes_the_oldest_the_middle_and_the_newest_are_asked()
    {
        for (var write = 1; write <= 7; write++)
            Write(write, [.. Enumerable.Range(1, write).Select(Host)]);

        Assert.Equal([1L, 4L, 7L], _pending.Plan(At, Deadline, list: true).Asked);
    }

    [Fact]
    public void A_replica_showing_the_middle_write_makes_it_and_every_write_before_it_live()
    {
        for (var write = 1; write <= 7; write++)
            Write(write, [.. Enumerable.Range(1, write).Select(Host)]);

        var reports = Answer(_pending.Plan(At, Deadline, list: true), [.. Enumerable.Range(1, 4).Select(Host)]);

        Assert.Equal([1L, 2L, 3L, 4L], reports.Where(r => r.State == PropagationState.Live).Select(r => r.Write));
        Assert.Equal(4L, reports.Single(r => r.Write == 2).With);
        Assert.All(reports.Where(r => r.Write > 4), r => Assert.Equal(PropagationState.Pending, r.State));
    }

    [Fact]
    public void Answers_for_writes_asked_before_a_newer_one_are_weighed_against_those_writes_only()
    {
        Write(1, Host(1));
        var plan = _pending.Plan(At, Deadline, list: true);
        Write(2, Host(1), Host(2));

        var reports = Answer(plan, Host(1));

        Assert.Equal(PropagationState.Live, reports.Single(r => r.Write == 1).State);
        Assert.Equal(PropagationState.Pending, reports.Single(r => r.Write == 2).State);
    }

    [Fact]
    public void A_write_past_its_deadline_is_said_not_live_only_by_a_round_planned_after_it()
    {
        Write(1, Host(1));
        Answer(_pending.Plan(At, Deadline, list: true));
        var early = _pending.Plan(At + Deadline - TimeSpan.FromSeconds(1), Deadline, list: false);
        Assert.DoesNotContain(_pending.Answered(new RoundAnswers(early, null, null, []), At + Deadline, Deadline, out var missed), r => r.State == PropagationState.NotLive);
        Assert.Empty(missed);

        var final = _pending.Plan(At + Deadline, Deadline, list: false);
        _pending.Answered(new RoundAnswers(final, [Replica], null, []), At + Deadline, Deadline, out missed);

        Assert.Equal(1L, Assert.Single(missed).Write);
        Assert.True(final.List);
    }
}
