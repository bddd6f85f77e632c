using Canal.Dns;

namespace Canal.Propagation;

/// <summary>What a pending write and a replica are, and how a write's state and a late replica's cause are said.</summary>
internal sealed partial class PendingWrites
{
    private WritePropagation Report(Pending write, DateTimeOffset now)
    {
        var live = _replicas.Values.Count(r => r.LiveThrough >= write.Write);
        var state = live == _replicas.Count && _replicas.Count > 0 ? PropagationState.Live : write.Missed ? PropagationState.NotLive : PropagationState.Pending;
        var notLive = _replicas.Values.Where(r => r.LiveThrough < write.Write).OrderBy(r => r.Info.Name, StringComparer.Ordinal).ToList();
        return new WritePropagation(write.Write, write.At, state, live, _replicas.Count, (now - write.At).TotalSeconds)
        {
            NotLive = state == PropagationState.NotLive ? [.. notLive.Select(r => r.Info.Name)] : null,
            Cause = state == PropagationState.NotLive ? Cause(notLive, write.Check)
                : state == PropagationState.Pending && _replicas.Count == 0 ? _listProblem ?? $"no CoreDNS replica found at {source} yet" : null,
            Names = [.. write.Check.Names.Select(n => n.Host)],
        };
    }

    /// <summary>The likely cause, per replica not live (one sentence when they share it).</summary>
    private string Cause(List<Replica> notLive, PropagationCheck check)
    {
        if (_replicas.Count == 0)
            return _listProblem ?? $"no CoreDNS replica was found at {source} (no ready endpoint: is it the Service in front of CoreDNS? --dns-service names it)";
        var causes = notLive.GroupBy(r => Cause(r, check), StringComparer.Ordinal)
            .Select(g => (Replicas: g.Select(r => r.Info.Name).ToList(), Cause: g.Key))
            .ToList();
        return causes.Count == 1 ? causes[0].Cause : string.Join("; ", causes.Select(c => $"{string.Join(", ", c.Replicas)}: {c.Cause}"));
    }

    private static string Cause(Replica replica, PropagationCheck check)
    {
        if (replica.Failed != null)
            return $"it did not answer Canal's DNS questions ({replica.Failed}); is the pod running, and may Canal reach its port {replica.Info.Port}?";
        if (check.Reloads == false)
            return "the Corefile has no 'reload': CoreDNS reads it only when it starts (add reload, or restart CoreDNS)";
        if (replica.Failures is { } failures && failures > (replica.FailuresAtStart ?? 0))
            return $"its coredns_reload_failed_total went from {replica.FailuresAtStart ?? 0} to {failures}: it could not load the new Corefile and serves the old one (its log says why)";
        if (replica.Problem != null)
            return replica.Problem;
        return "it still answers as before the write: is the ConfigMap mounted into the pod (and the file imported, in custom mode)? kubelet can take a minute to sync it";
    }

    private sealed class Pending(long write, DateTimeOffset at, PropagationCheck check)
    {
        private readonly Dictionary<string, HashSet<string>> _passed = new(StringComparer.Ordinal);

        public long Write { get; } = write;
        public DateTimeOffset At { get; } = at;
        public PropagationCheck Check { get; private set; } = check;

        /// <summary>Drops the checks of <paramref name="hosts"/> (changed again since), keeping at least one.</summary>
        public void Forget(IReadOnlySet<string> hosts)
        {
            var kept = Check.Names.Where(n => !hosts.Contains(n.Host)).ToList();
            if (kept.Count > 0 && kept.Count < Check.Names.Count)
                Check = Check with { Names = kept };
        }

        /// <summary>Its deadline passed and was reported; it can still go live.</summary>
        public bool Missed { get; set; }

        public HashSet<string> PassedOn(string replica) =>
            _passed.TryGetValue(replica, out var passed) ? passed : _passed[replica] = new HashSet<string>(StringComparer.Ordinal);
    }

    private sealed class Replica(CoreDnsReplica info)
    {
        public CoreDnsReplica Info { get; set; } = info;

        /// <summary>The newest write this replica has shown (0: none yet).</summary>
        public long LiveThrough { get; set; }

        /// <summary>The newest write whose marker it answered (0: none yet); and where the next round's turn of older markers starts.</summary>
        public long MarkerAt { get; set; }
        public int MarkerCursor { get; set; }

        /// <summary>Why it answered nothing in its last round; null when it answered.</summary>
        public string? Failed { get; set; }

        /// <summary>The last thing that kept an answer from showing a write (a gateway that does not resolve there).</summary>
        public string? Problem { get; set; }

        public bool MetricsTried { get; set; }

        /// <summary>Its coredns_reload_failed_total when first read, and when last read.</summary>
        public double? FailuresAtStart { get; set; }
        public double? Failures { get; set; }
    }
}
