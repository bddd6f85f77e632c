using Canal.Dns;

namespace Canal.Propagation;

/// <summary>
/// The writes not yet live on every CoreDNS replica, and how far each replica has got. CoreDNS loads a Corefile whole
/// (and kubelet swaps a ConfigMap's files at once), so a replica that answers as write W says serves every write before
/// W too: each replica keeps the newest write it has shown, and a write is live once every replica has shown it or a
/// newer one. Each write has its own deadline. Only the oldest, the middle and the newest pending write are asked
/// about, so a stream of writes costs a few questions a round, and a replica catching up is found in a few rounds.
/// A write also counts on a replica only once it has answered that write's marker or a later one's (each section
/// answers its own write's marker only): the marker of the newest write is asked first, then a few of the others in
/// turn, so a replica that loaded a write between them is found too.
/// </summary>
/// <param name="markers">Markers asked of a replica in a round.</param>
internal sealed partial class PendingWrites(string source, int markers = 4)
{
    /// <summary>Pending writes kept to be given their verdict; past it the oldest (already reported not live) are dropped.</summary>
    public const int Kept = 200;

    private readonly List<Pending> _writes = [];
    private readonly Dictionary<string, Replica> _replicas = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, SectionEntry> _served = new Dictionary<string, SectionEntry>();
    private string? _listProblem;

    public bool IsEmpty => _writes.Count == 0;
    public bool Listed { get; private set; }
    public long Newest => _writes[^1].Write;

    /// <summary>True while some write is pending and its deadline has not passed: rounds keep their short interval.</summary>
    public bool AnyBeforeDeadline => _writes.Any(w => !w.Missed);

    /// <summary>
    /// Takes a write in and says where it stands; null when it has nothing to be checked by (no name differs from what the
    /// replicas serve), which is reported as not checked.
    /// </summary>
    /// <param name="replaced">The section the write replaced.</param>
    /// <param name="now">The section it wrote.</param>
    /// <param name="changed">Every host whose entry it changed.</param>
    public WritePropagation? Add(long write, DateTimeOffset at, IReadOnlyDictionary<string, SectionEntry> replaced, IReadOnlyDictionary<string, SectionEntry> now,
        IReadOnlySet<string> changed, CorefileUpdate update, int sample)
    {
        // Nothing pending: the replicas are taken to serve what the store held. Otherwise what they were last known to
        // serve stays, so a write that undoes one not yet loaded still has something to show.
        if (_writes.Count == 0)
            _served = replaced;
        // An earlier write's check of a host this one changed says nothing of the earlier write any more.
        foreach (var pending in _writes)
            pending.Forget(changed);
        var carried = _writes.AsEnumerable().Reverse().SelectMany(w => w.Check.Names);
        var check = PropagationCheck.Of(update, now, replaced, changed, _served, carried, sample);
        if (check.Names.Count == 0 && check.Marker == null)
            return null;
        _writes.Add(new Pending(write, at, check));
        if (_writes.Count > Kept && _writes.FindIndex(w => w.Missed) is >= 0 and var oldest)
            _writes.RemoveAt(oldest);
        return Report(_writes[^1], at);
    }

    /// <summary>What the next round asks: each replica, the checks of the asked writes it has not shown yet.</summary>
    public RoundPlan Plan(DateTimeOffset now, TimeSpan deadline, bool list)
    {
        var final = _writes.Any(w => !w.Missed && now - w.At >= deadline);
        var asked = Asked();
        var questions = _replicas.Values.ToDictionary(r => r.Info.Name, r => (IReadOnlyList<NameCheck>)[.. Distinct(asked
                .Where(w => w.Write > r.LiveThrough)
                .SelectMany(w => w.Check.Names.Where(n => !w.PassedOn(r.Info.Name).Contains(n.Host)))), .. Markers(Math.Max(r.LiveThrough, r.MarkerAt), r.MarkerCursor)],
            StringComparer.Ordinal);
        // Reload failures are read once to start from (the counter is cumulative), then at a deadline.
        var metrics = _replicas.Values.Where(r => !r.MetricsTried || final && r.LiveThrough < Newest).Select(r => r.Info.Name).ToHashSet(StringComparer.Ordinal);
        return new RoundPlan([.. asked.Select(w => w.Write)], [.. _replicas.Values.Select(r => r.Info)], questions,
            [.. Distinct(asked.SelectMany(w => w.Check.Names)), .. Markers(0, 0)],
            List: list || final || !Listed, metrics, _writes[^1].Check.MetricsPort, final);
    }

    /// <summary>
    /// The markers a replica known to serve write <paramref name="past"/> is asked: the newest write's, then the others
    /// it may serve in turn from <paramref name="cursor"/> (a replica serves the write kubelet last gave it, which need
    /// not be the newest).
    /// </summary>
    private IEnumerable<NameCheck> Markers(long past, int cursor)
    {
        var open = _writes.Where(w => w.Check.Marker != null && w.Write > past).ToList();
        if (open.Count == 0)
            return [];
        var older = open[..^1];
        older.Reverse();
        var turn = older.Count <= markers - 1 ? older
            : Enumerable.Range(0, markers - 1).Select(i => older[(cursor + i) % older.Count]);
        return turn.Prepend(open[^1]).Select(w => w.Check.Marker!);
    }

    /// <summary>
    /// Takes a round's answers in (at <paramref name="now"/>, as they arrive); returns what changed: writes now live, writes
    /// past their deadline, and the rest as they stand.
    /// </summary>
    public IReadOnlyList<WritePropagation> Answered(RoundAnswers round, DateTimeOffset now, TimeSpan deadline, out IReadOnlyList<WritePropagation> missed)
    {
        if (round.Listed != null)
            ListedAs(round.Listed);
        else if (round.ListError != null)
            _listProblem = $"the CoreDNS replicas could not be listed ({round.ListError})";
        var asked = _writes.Where(w => round.Plan.Asked.Contains(w.Write)).ToList();
        foreach (var answers in round.Error == null ? round.Replicas : [])
        {
            if (!_replicas.TryGetValue(answers.Replica, out var replica))
                continue;
            (replica.Failed, replica.Problem) = (answers.Failed, null);
            replica.MetricsTried |= round.Plan.Metrics.Contains(replica.Info.Name);
            if (answers.ReloadFailures is { } failures)
                (replica.FailuresAtStart, replica.Failures) = (replica.FailuresAtStart ?? failures, failures);
            // Markers are asked newest first and each section answers only its own: the one that shows is where the replica is.
            var (at, markerProblem) = MarkerShown(answers);
            if (at != null)
                replica.MarkerAt = Math.Max(replica.MarkerAt, at.Write);
            else if (answers.Failed == null)
                (replica.MarkerCursor, replica.Problem) = (replica.MarkerCursor + markers - 1, markerProblem);
            foreach (var write in asked.Where(w => w.Write > replica.LiveThrough))
            {
                var passed = write.PassedOn(replica.Info.Name);
                foreach (var check in write.Check.Names.Where(n => !passed.Contains(n.Host)))
                {
                    if (Shows(check, answers, out var problem))
                        passed.Add(check.Host);
                    replica.Problem ??= problem;
                }
                if (write.Check.Names.All(n => passed.Contains(n.Host)) && write.Write > replica.LiveThrough
                    && (write.Check.Marker == null || replica.MarkerAt >= write.Write))
                {
                    replica.LiveThrough = write.Write;
                    // It loaded a Corefile since: failures before that are not this write's.
                    replica.FailuresAtStart = replica.Failures ?? replica.FailuresAtStart;
                }
            }
        }

        var reports = new List<WritePropagation>();
        if (_replicas.Count > 0 && _replicas.Values.Min(r => r.LiveThrough) is var liveThrough && _writes.Any(w => w.Write <= liveThrough))
        {
            var live = _writes.Where(w => w.Write <= liveThrough).ToList();
            var newest = live[^1].Write;
            reports.AddRange(live.Select(w => Report(w, now) with { With = w.Write == newest ? null : newest }));
            _writes.RemoveAll(w => w.Write <= liveThrough);
        }
        var late = _writes.Where(w => !w.Missed && round.Plan.Final && round.Error == null && now - w.At >= deadline).ToList();
        foreach (var write in late)
            write.Missed = true;
        missed = [.. late.Select(w => Report(w, now) with { DeadlineSeconds = deadline.TotalSeconds })];
        reports.AddRange(missed);
        // The newest few are what canal-cmd shows; the others are said when they go live or miss their deadline.
        reports.AddRange(_writes.Where(w => !w.Missed).TakeLast(PropagationRecord.Kept).Select(w => Report(w, now)));
        return reports;
    }

    /// <summary>The newest pending write whose marker the replica answered, else why none was, if something stood in the way.</summary>
    private (Pending? At, string? Problem) MarkerShown(ReplicaAnswers answers)
    {
        string? problem = null;
        for (var i = _writes.Count - 1; i >= 0; i--)
        {
            if (_writes[i].Check.Marker is not { } marker)
                continue;
            if (Shows(marker, answers, out var why))
                return (_writes[i], null);
            problem ??= why;
        }
        return (null, problem);
    }

    /// <summary>Each question once, though several writes ask it (what it must answer is weighed per write; a record's lists compare by reference).</summary>
    private static IEnumerable<NameCheck> Distinct(IEnumerable<NameCheck> checks) =>
        checks.DistinctBy(n => (n.Host, n.GatewayFqdn, string.Join(",", n.GatewayIPs)));

    /// <summary>The oldest, the middle and the newest pending write, and each a replica was found at by its marker (its names are asked next).</summary>
    private List<Pending> Asked() =>
        _writes.Count <= 3 ? _writes
        : [.. _writes.Where((w, i) => i == 0 || i == _writes.Count / 2 || i == _writes.Count - 1 || _replicas.Values.Any(r => r.MarkerAt == w.Write && r.LiveThrough < w.Write))];

    /// <summary>Whether a replica's answer shows <paramref name="check"/>; <paramref name="problem"/> when something stood in the way.</summary>
    private static bool Shows(NameCheck check, ReplicaAnswers answers, out string? problem)
    {
        problem = null;
        if (PropagationRound.GatewayOf(check, answers.Gateways) is not { } gateway)
            return false;
        var ipv6 = PropagationRound.Ipv6(gateway);
        if (!answers.Hosts.TryGetValue((check.Host, ipv6), out var answer) || answer is DnsAnswer.Failed)
            return false;
        if (gateway.Count == 0)
        {
            // The gateway's own name does not resolve there (its Service is gone): a withdrawn name cannot answer it.
            if (check.Redirected)
                problem = $"the gateway's name {check.GatewayFqdn} does not resolve there";
            return !check.Redirected;
        }
        var answered = answer.Values().Select(PropagationCheck.Normalised).ToList();
        return check.Redirected ? check.SatisfiedBy(answered, PropagationRound.OfFamily(gateway, ipv6)) : check.SatisfiedBy(answered, gateway);
    }

    private void ListedAs(IReadOnlyList<CoreDnsReplica> replicas)
    {
        (Listed, _listProblem) = (true, null);
        var names = replicas.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _replicas.Keys.Where(n => !names.Contains(n)).ToList())
            _replicas.Remove(gone);
        foreach (var replica in replicas)
        {
            if (_replicas.TryGetValue(replica.Name, out var known))
                known.Info = replica;
            else
            {
                // New, or back after it left: what it showed before says nothing of the server there now.
                _replicas[replica.Name] = new Replica(replica);
                foreach (var write in _writes)
                    write.PassedOn(replica.Name).Clear();
            }
        }
    }
}
