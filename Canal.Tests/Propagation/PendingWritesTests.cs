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

    private static string Marker(long write) => WriteMarker.Name(write, 42, "cluster.local");

    private void Write(long write, params string[] hosts) => WriteMarked(write, null, hosts);

    private void WriteMarked(long write, string? marker, params string[] hosts)
    {
        var update = CorefileUpdate.Apply(_corefile, new RedirectPlan([.. hosts.Select(h => new Redirect(h, Gateway, [GatewayIp]))], []), DnsMode.Hosts, "cluster.local", marker);
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

    [Fact]
    public void A_write_that_changes_no_answer_is_not_live_until_the_replica_answers_its_marker()
    {
        WriteMarked(1, Marker(1), Host(1));
        Answer(_pending.Plan(At, Deadline, list: true), Host(1), Marker(1));
        // Write 2 answers every name as write 1 did: only its marker tells the two apart.
        WriteMarked(2, Marker(2), Host(1));

        var stale = Answer(_pending.Plan(At, Deadline, list: false), Host(1), Marker(1));
        Assert.Equal(PropagationState.Pending, stale.Single(r => r.Write == 2).State);

        var loaded = Answer(_pending.Plan(At, Deadline, list: false), Host(1), Marker(2));
        Assert.Equal(PropagationState.Live, loaded.Single(r => r.Write == 2).State);
    }

    [Fact]
    public void A_replica_that_answers_a_marker_but_not_the_names_of_its_write_is_not_live()
    {
        WriteMarked(1, Marker(1), Host(1), Host(2));

        var reports = Answer(_pending.Plan(At, Deadline, list: true), Host(1), Marker(1));

        Assert.Equal(PropagationState.Pending, Assert.Single(reports).State);
    }

    [Fact]
    public void A_replica_that_loaded_a_write_between_the_ones_asked_is_found_by_its_marker_within_a_few_rounds()
    {
        for (var write = 1; write <= 9; write++)
            WriteMarked(write, Marker(write), [.. Enumerable.Range(1, write).Select(Host)]);
        // The replica serves write 3: its names, and write 3's marker only.
        string[] serving = [.. Enumerable.Range(1, 3).Select(Host), Marker(3)];

        var live = new List<long>();
        for (var round = 0; round < 4 && !live.Contains(3); round++)
            live.AddRange(Answer(_pending.Plan(At, Deadline, list: round == 0), serving).Where(r => r.State == PropagationState.Live).Select(r => r.Write));

        Assert.Equal([1L, 2L, 3L], live.Order());
        Assert.All(_pending.Plan(At, Deadline, list: false).Asked, w => Assert.True(w > 3));
    }
}
