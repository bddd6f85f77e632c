using Akka.Actor;
using Akka.Event;

namespace Canal.Propagation;

/// <summary>
/// The DnsWriter's child that confirms each write in CoreDNS: a round at a time it asks every replica for a few of the
/// names the pending writes changed, until each replica answers as the newest says or a write's deadline passes, and
/// tells its parent (and the event stream) where each write stands. Off the write path: the DnsWriter only tells it of
/// writes and waits for nothing. Read-only and paced: one round in flight, at most
/// <see cref="PropagationSettings.Parallelism"/> replicas at once, a replica asked only what it has not shown yet.
/// </summary>
internal sealed class PropagationActor : ReceiveActor, IWithTimers
{
    private const string RoundTimer = "round";

    private readonly ICoreDnsReplicas _replicas;
    private readonly PropagationSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private readonly PendingWrites _pending;
    private int _rounds;
    private (DateTimeOffset At, string Cause)? _lastNotLive;

    public PropagationActor(ICoreDnsReplicas replicas, PropagationSettings settings, TimeProvider clock)
    {
        (_replicas, _settings, _clock) = (replicas, settings, clock);
        _pending = new PendingWrites(replicas.Description, settings.Markers);
        Become(Idle);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ICoreDnsReplicas replicas, PropagationSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new PropagationActor(replicas, settings, clock));

    protected override void PostStop() => _stopping.Cancel();

    /// <summary>Nothing pending.</summary>
    private void Idle()
    {
        Receive<ProbeWrite>(write =>
        {
            if (Take(write))
                AskRound();
        });
        Receive<NextRound>(_ => { });
    }

    /// <summary>Writes pending, the next round timed (a second away: a new write waits for it).</summary>
    private void Waiting()
    {
        Receive<ProbeWrite>(write => Take(write));
        Receive<NextRound>(_ => AskRound());
    }

    /// <summary>Every pending write is past its deadline and rounds are slow; a new write brings the next one near.</summary>
    private void WaitingLate()
    {
        Receive<ProbeWrite>(write =>
        {
            if (!Take(write))
                return;
            Timers.StartSingleTimer(RoundTimer, NextRound.Instance, _settings.Interval);
            Become(Waiting);
        });
        Receive<NextRound>(_ => AskRound());
    }

    /// <summary>A round in flight; a write meanwhile is asked about from the next round on.</summary>
    private void Asking()
    {
        Receive<ProbeWrite>(write => Take(write));
        Receive<RoundAnswers>(OnRoundAnswers);
        Receive<NextRound>(_ => { });
    }

    /// <summary>Takes a write in; false when it has nothing to be checked by (reported as not checked).</summary>
    private bool Take(ProbeWrite write)
    {
        var pending = _pending.Add(write.Write, write.WrittenAt, write.Before, write.Now, write.Changed, write.Update, _settings.Sample);
        Context.Parent.Tell(pending ?? new WritePropagation(write.Write, write.WrittenAt, PropagationState.Unchecked, 0, 0, 0)
        {
            Cause = "no redirected name differs from what CoreDNS serves",
        });
        return pending != null;
    }

    private void AskRound()
    {
        var plan = _pending.Plan(_clock.GetUtcNow(), _settings.Deadline, list: _rounds++ % _settings.ListEvery == 0);
        var (replicas, parallelism, token) = (_replicas, _settings.Parallelism, _stopping.Token);
        Task.Run(() => PropagationRound.Ask(replicas, plan, parallelism, token)).PipeTo(Self,
            failure: e => new RoundAnswers(plan, null, null, [], e.Message));
        Become(Asking);
    }

    private void OnRoundAnswers(RoundAnswers round)
    {
        if (round.ListError != null)
            _log.Warning("the CoreDNS replicas at {0} could not be listed: {1}", _replicas.Description, round.ListError);
        if (round.Error != null)
            _log.Error("a round of questions to CoreDNS failed: {0}", round.Error);
        var now = _clock.GetUtcNow();
        var reports = _pending.Answered(round, now, _settings.Deadline, out var missed);
        foreach (var report in reports)
        {
            Context.Parent.Tell(report);
            if (report.State == PropagationState.Live)
                Context.System.EventStream.Publish(new WriteLive(report));
        }
        foreach (var write in missed)
            Context.System.EventStream.Publish(new WriteNotLive(write, Repeat: !NotLiveNews(write, now)));
        if (_pending.IsEmpty)
        {
            Become(Idle);
            return;
        }
        if (_pending.AnyBeforeDeadline)
        {
            Timers.StartSingleTimer(RoundTimer, NextRound.Instance, _settings.Interval);
            Become(Waiting);
        }
        else
        {
            Timers.StartSingleTimer(RoundTimer, NextRound.Instance, _settings.LateInterval);
            Become(WaitingLate);
        }
    }

    /// <summary>Under a stream of writes each misses its deadline for the same reason: that is said once a while, not per write.</summary>
    private bool NotLiveNews(WritePropagation missed, DateTimeOffset now)
    {
        var cause = $"{string.Join(",", missed.NotLive ?? [])}: {missed.Cause}";
        if (_lastNotLive is { } last && last.Cause == cause && now - last.At < _settings.NotLiveNoticeEvery)
            return false;
        _lastNotLive = (now, cause);
        return true;
    }

    private sealed record NextRound
    {
        public static readonly NextRound Instance = new();
    }
}
