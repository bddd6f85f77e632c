using Canal.Dns;

namespace Canal.Propagation;

/// <summary>
/// The newest write not yet live and what each replica has shown of it. CoreDNS loads a Corefile whole, so a replica that
/// answers as the newest write says has loaded every write before it: a newer write takes over the check of those still
/// pending, which are confirmed with it, and their deadline still runs from the oldest of them.
/// </summary>
internal sealed class PropagationProbe
{
    private readonly List<(long Write, DateTimeOffset At)> _writes = [];
    private readonly Dictionary<string, Progress> _replicas = new(StringComparer.Ordinal);
    private string? _listProblem;

    public PropagationProbe(long write, DateTimeOffset at, PropagationCheck check)
    {
        Check = check;
        Add(write, at, check);
    }

    public PropagationCheck Check { get; private set; }
    public long Latest => _writes[^1].Write;
    public bool Listed { get; private set; }

    /// <summary>The deadline passed and was reported; later rounds can still find the write live.</summary>
    public bool Missed { get; private set; }

    public IReadOnlyList<CoreDnsReplica> Replicas => [.. _replicas.Values.Select(p => p.Replica)];

    public bool IsLive => _replicas.Count > 0 && _replicas.Values.All(p => p.LiveAt != null);

    public bool Overdue(DateTimeOffset now, TimeSpan deadline) => now - _writes[0].At >= deadline;

    /// <summary>A newer write: every replica has to show it again.</summary>
    public void Add(long write, DateTimeOffset at, PropagationCheck check)
    {
        _writes.Add((write, at));
        Check = check;
        foreach (var progress in _replicas.Values)
            progress.Reset();
    }

    /// <summary>What each replica not yet live is still to be asked.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<NameCheck>> Questions() =>
        _replicas.Values.Where(p => p.LiveAt == null)
            .ToDictionary(p => p.Replica.Name, p => (IReadOnlyList<NameCheck>)[.. Check.Names.Where(n => !p.Passed.Contains(n.Host))], StringComparer.Ordinal);

    public void ListedAs(IReadOnlyList<CoreDnsReplica> replicas)
    {
        (Listed, _listProblem) = (true, null);
        var names = replicas.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _replicas.Keys.Where(n => !names.Contains(n)).ToList())
            _replicas.Remove(gone);
        foreach (var replica in replicas)
        {
            if (_replicas.TryGetValue(replica.Name, out var known))
                known.Replica = replica;
            else
                _replicas[replica.Name] = new Progress(replica);
        }
    }

    public void ListFailed(string why) => _listProblem = why;

    public void Answered(ReplicaAnswers answers, DateTimeOffset now)
    {
        if (!_replicas.TryGetValue(answers.Replica, out var progress) || progress.LiveAt != null)
            return;
        progress.Passed.UnionWith(answers.Passed);
        progress.Answered |= answers.Answered;
        progress.ReloadFailures = answers.ReloadFailures ?? progress.ReloadFailures;
        if (Check.Names.All(n => progress.Passed.Contains(n.Host)))
            progress.LiveAt = now;
    }

    /// <summary>Where every write this probe answers for stands; <paramref name="missed"/> marks the report of the deadline.</summary>
    public IReadOnlyList<WritePropagation> Report(DateTimeOffset now, bool missed, string source)
    {
        Missed |= missed;
        var live = _replicas.Values.Count(p => p.LiveAt != null);
        var names = Check.Names.Select(n => n.Host).ToList();
        if (IsLive)
        {
            var last = _replicas.Values.Max(p => p.LiveAt!.Value);
            return [.. _writes.Select(w => new WritePropagation(w.Write, w.At, PropagationState.Live, live, _replicas.Count, (last - w.At).TotalSeconds)
            {
                With = w.Write == Latest ? null : Latest,
                Names = names,
            })];
        }
        var state = Missed ? PropagationState.NotLive : PropagationState.Pending;
        var notLive = _replicas.Values.Where(p => p.LiveAt == null).Select(p => p.Replica.Name).Order(StringComparer.Ordinal).ToList();
        var cause = Missed ? Cause(source) : _replicas.Count == 0 ? _listProblem ?? $"no CoreDNS replica found at {source} yet" : null;
        return [.. _writes.Select(w => new WritePropagation(w.Write, w.At, state, live, _replicas.Count, (now - w.At).TotalSeconds)
        {
            NotLive = Missed ? notLive : null,
            Cause = cause,
            Names = names,
        })];
    }

    /// <summary>The likely cause, per replica not live (one sentence when they share it).</summary>
    private string Cause(string source)
    {
        if (_replicas.Count == 0)
            return _listProblem ?? $"no CoreDNS replica was found at {source} (no ready endpoint: is it the Service in front of CoreDNS? --dns-service names it)";
        var causes = _replicas.Values.Where(p => p.LiveAt == null)
            .GroupBy(Cause, StringComparer.Ordinal)
            .Select(g => (Replicas: g.Select(p => p.Replica.Name).Order(StringComparer.Ordinal).ToList(), Cause: g.Key))
            .ToList();
        return causes.Count == 1 ? causes[0].Cause : string.Join("; ", causes.Select(c => $"{string.Join(", ", c.Replicas)}: {c.Cause}"));
    }

    private string Cause(Progress replica)
    {
        if (!replica.Answered)
            return "it did not answer Canal's DNS questions (is the pod running, and may Canal reach its port 53?)";
        if (Check.Reloads == false)
            return "the cluster block has no 'reload': CoreDNS reads its Corefile only when it starts (add reload, or restart CoreDNS)";
        if (replica.ReloadFailures is > 0 and var failures)
            return $"its coredns_reload_failed_total is {failures}: it could not load the new Corefile and serves the old one (its log says why)";
        return "it still answers as before the write: is the ConfigMap mounted into the pod (and the file imported, in custom mode)? kubelet can take a minute to sync it";
    }

    private sealed class Progress(CoreDnsReplica replica)
    {
        public CoreDnsReplica Replica { get; set; } = replica;
        public HashSet<string> Passed { get; } = new(StringComparer.Ordinal);
        public bool Answered { get; set; }
        public double? ReloadFailures { get; set; }
        public DateTimeOffset? LiveAt { get; set; }

        public void Reset()
        {
            Passed.Clear();
            (Answered, ReloadFailures, LiveAt) = (false, null, null);
        }
    }
}

/// <summary>What one replica answered in a round: the hosts that showed the write, whether it answered at all.</summary>
internal sealed record ReplicaAnswers(string Replica, IReadOnlyList<string> Passed, bool Answered, double? ReloadFailures);
