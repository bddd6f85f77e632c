using System.Net;
using Akka.Actor;
using Akka.Event;
using Canal.Dns;

namespace Canal.Propagation;

/// <summary>
/// The DnsWriter's child that confirms each write in CoreDNS: it asks every replica, a round at a time, for a few of the
/// names the write changed until each answers as the write says or the deadline passes, and tells its parent (and the
/// event stream) where the write stands. Off the write path: the DnsWriter only tells it of writes, and waits for nothing.
/// Read-only and paced: one round in flight, at most <see cref="PropagationSettings.Parallelism"/> replicas at once, a
/// replica is asked only what it has not shown yet.
/// </summary>
public sealed class PropagationActor : ReceiveActor, IWithTimers
{
    private const string RoundTimer = "round";

    private readonly ICoreDnsReplicas _replicas;
    private readonly PropagationSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private PropagationProbe? _probe;
    private int _rounds;

    public PropagationActor(ICoreDnsReplicas replicas, PropagationSettings settings, TimeProvider clock)
    {
        (_replicas, _settings, _clock) = (replicas, settings, clock);
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
            if (Probe(write))
                AskRound();
        });
        Receive<NextRound>(_ => { });
        Receive<RoundAnswered>(_ => { });
    }

    /// <summary>A write pending, the next round timed.</summary>
    private void Waiting()
    {
        Receive<ProbeWrite>(write =>
        {
            // A new write is asked about soon, even after a miss slowed the rounds down.
            if (Probe(write))
                Timers.StartSingleTimer(RoundTimer, NextRound.Instance, _settings.Interval);
        });
        Receive<NextRound>(_ => AskRound());
        Receive<RoundAnswered>(_ => { });
    }

    /// <summary>A round in flight; a write meanwhile is checked from the next round (this one's answers are for the write before).</summary>
    private void Asking()
    {
        Receive<ProbeWrite>(write => Probe(write));
        Receive<RoundAnswered>(OnRoundAnswered);
        Receive<NextRound>(_ => { });
    }

    /// <summary>Takes a write in; false when it changed no name (nothing to ask: it is reported as not checked).</summary>
    private bool Probe(ProbeWrite write)
    {
        if (write.Check.Names.Count == 0)
        {
            Context.Parent.Tell(new WritePropagation(write.Write, write.WrittenAt, PropagationState.Unchecked, 0, 0, 0) { Cause = "no redirected name changed" });
            return false;
        }
        // After a miss the earlier writes keep their verdict; the new one gets a deadline of its own.
        if (_probe == null || _probe.Missed)
            _probe = new PropagationProbe(write.Write, write.WrittenAt, write.Check);
        else
            _probe.Add(write.Write, write.WrittenAt, write.Check);
        Tell(_probe.Report(_clock.GetUtcNow(), missed: false, _replicas.Description));
        return true;
    }

    private void AskRound()
    {
        var probe = _probe!;
        var now = _clock.GetUtcNow();
        var final = !probe.Missed && probe.Overdue(now, _settings.Deadline);
        var plan = new RoundPlan(probe.Latest, probe.Check, probe.Replicas, probe.Questions(),
            List: !probe.Listed || _rounds % _settings.ListEvery == 0,
            MetricsPort: final ? probe.Check.MetricsPort : null,
            Final: final);
        _rounds++;
        var (replicas, parallelism, token) = (_replicas, _settings.Parallelism, _stopping.Token);
        Task.Run(() => Ask(replicas, plan, parallelism, token)).PipeTo(Self,
            failure: e => new RoundAnswered(plan, null, e.Message, []));
        Become(Asking);
    }

    private void OnRoundAnswered(RoundAnswered round)
    {
        var probe = _probe!;
        if (round.Listed != null)
            probe.ListedAs(round.Listed);
        else if (round.ListError != null)
        {
            probe.ListFailed($"the CoreDNS replicas could not be listed ({round.ListError})");
            _log.Warning("the CoreDNS replicas at {0} could not be listed: {1}", _replicas.Description, round.ListError);
        }
        var now = _clock.GetUtcNow();
        // Answers to the write before the one now pending say nothing of it.
        if (round.Plan.Write == probe.Latest)
        {
            foreach (var answers in round.Answers)
                probe.Answered(answers, now);
        }
        if (probe.IsLive)
        {
            var live = probe.Report(now, missed: false, _replicas.Description);
            Tell(live);
            foreach (var write in live)
                Context.System.EventStream.Publish(new WriteLive(write));
            _probe = null;
            Become(Idle);
            return;
        }
        var missed = round.Plan.Final && round.Plan.Write == probe.Latest;
        var report = probe.Report(now, missed, _replicas.Description);
        Tell(report);
        if (missed)
            Context.System.EventStream.Publish(new WriteNotLive(report[^1]));
        Timers.StartSingleTimer(RoundTimer, NextRound.Instance, probe.Missed ? _settings.LateInterval : _settings.Interval);
        Become(Waiting);
    }

    private static void Tell(IReadOnlyList<WritePropagation> writes)
    {
        foreach (var write in writes)
            Context.Parent.Tell(write);
    }

    private static async Task<RoundAnswered> Ask(ICoreDnsReplicas port, RoundPlan plan, int parallelism, CancellationToken cancellationToken)
    {
        IReadOnlyList<CoreDnsReplica>? listed = null;
        string? listError = null;
        var replicas = plan.Replicas;
        if (plan.List)
        {
            try
            {
                replicas = listed = await port.ListAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                listError = e.Message;
            }
        }
        using var gate = new SemaphoreSlim(parallelism);
        var answers = await Task.WhenAll(replicas
            .Select(r => (Replica: r, Questions: plan.Questions.TryGetValue(r.Name, out var q) ? q : listed != null && plan.Replicas.All(k => k.Name != r.Name) ? plan.Check.Names : null))
            .Where(r => r.Questions != null)
            .Select(async r =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    return await AskReplica(port, r.Replica, r.Questions!, plan.MetricsPort, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
        return new RoundAnswered(plan, listed, listError, answers);
    }

    /// <summary>Asks one replica each question; a gateway known only by name is asked for first, once.</summary>
    private static async Task<ReplicaAnswers> AskReplica(ICoreDnsReplicas port, CoreDnsReplica replica, IReadOnlyList<NameCheck> questions, int? metricsPort, CancellationToken cancellationToken)
    {
        var gateways = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var passed = new List<string>();
        var answered = false;
        try
        {
            foreach (var check in questions)
            {
                if (!gateways.TryGetValue(check.GatewayFqdn, out var gateway))
                {
                    IReadOnlyList<string> addresses = check.GatewayIPs;
                    if (addresses.Count == 0 && check.GatewayFqdn.Length > 0)
                    {
                        var resolved = await port.AskAsync(replica, check.GatewayFqdn, ipv6: false, cancellationToken);
                        answered |= resolved is not DnsAnswer.Failed;
                        addresses = resolved.Values();
                    }
                    gateways[check.GatewayFqdn] = gateway = [.. addresses.Select(Normalised)];
                }
                if (gateway.Count == 0)
                    continue;
                var answer = await port.AskAsync(replica, check.Host, gateway.All(ip => ip.Contains(':')), cancellationToken);
                answered |= answer is not DnsAnswer.Failed;
                if (answer is not DnsAnswer.Failed && check.SatisfiedBy([.. answer.Values().Select(Normalised)], gateway))
                    passed.Add(check.Host);
            }
            var failures = metricsPort is { } p && passed.Count < questions.Count ? await port.ReloadFailuresAsync(replica, p, cancellationToken) : null;
            return new ReplicaAnswers(replica.Name, passed, answered, failures);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A port that throws (instead of answering Failed) counts as a replica that did not answer.
            return new ReplicaAnswers(replica.Name, passed, answered, null);
        }
    }

    private static string Normalised(string ip) => IPAddress.TryParse(ip, out var address) ? address.ToString() : ip;

    /// <summary>One round: the write it checks, the replicas as known, what each is still to be asked.</summary>
    private sealed record RoundPlan(
        long Write,
        PropagationCheck Check,
        IReadOnlyList<CoreDnsReplica> Replicas,
        IReadOnlyDictionary<string, IReadOnlyList<NameCheck>> Questions,
        bool List,
        int? MetricsPort,
        bool Final);

    private sealed record RoundAnswered(RoundPlan Plan, IReadOnlyList<CoreDnsReplica>? Listed, string? ListError, IReadOnlyList<ReplicaAnswers> Answers);

    private sealed record NextRound
    {
        public static readonly NextRound Instance = new();
    }
}
