using Canal.Dns;
using Canal.Istio;

namespace Canal.DnsWriter;

/// <summary>What the DnsWriter last applied to its store and what it counted on the way: the body of its status.</summary>
internal sealed class WriteRecord
{
    private string? _lastError;
    private string _lastWarnings = "";
    private CorefileUpdate? _applied;
    /// <summary>The plan <see cref="_applied"/> was rendered from, before anything was blocked at render time.</summary>
    private RedirectPlan? _planned;
    private string? _appliedVersion;
    private DateTimeOffset? _lastWrite;
    private long _appliedBytes;

    public long Writes { get; private set; }
    public long Conflicts { get; private set; }
    public long Oversized { get; private set; }
    public long Failures { get; private set; }

    /// <summary>What the store last said its content may take; null where it has no limit.</summary>
    public long? Capacity { get; set; }
    public int Redirected => _applied?.Plan.Redirects.Count ?? 0;
    public RedirectPlan? LastPlan => _applied?.Plan;

    /// <summary>True when the store is still at the version last applied and <paramref name="plan"/> is the plan it was rendered from (the same instance: no verdict changed since).</summary>
    public bool Holds(string version, RedirectPlan plan) => version == _appliedVersion && ReferenceEquals(plan, _planned);

    /// <summary>What was last written or found in the store.</summary>
    public CorefileUpdate? AppliedUpdate => _applied;
    public TimeSpan LastWriteLatency { get; private set; }
    public TimeSpan LatencySum { get; private set; }

    /// <summary>True from the barrier until the first check of the store: that one says so when nothing needs writing.</summary>
    public bool FirstCheckPending { get; set; }

    /// <summary>A refusal; true when it is news (not the one reported last).</summary>
    public bool Refused(string reason, bool oversized)
    {
        if (oversized)
            Oversized++;
        var news = _lastError != reason;
        _lastError = reason;
        return news;
    }

    /// <summary>The render's warnings; true when there are some and they are not those reported last.</summary>
    public bool Warned(IReadOnlyList<string> warnings)
    {
        var joined = string.Join("; ", warnings);
        var news = joined.Length > 0 && joined != _lastWarnings;
        _lastWarnings = joined;
        return news;
    }

    public void Failed(string error)
    {
        Failures++;
        _lastError = error;
    }

    public void Conflict() => Conflicts++;

    /// <summary>The store already holds <paramref name="update"/>, rendered from <paramref name="planned"/>, at <paramref name="version"/>.</summary>
    public void Applied(CorefileUpdate update, RedirectPlan planned, string version) => Applied(update, planned, version, null);

    /// <summary>Written; <paramref name="changeFrom"/> is when the first change this write carried happened.</summary>
    public void Written(CorefileUpdate update, RedirectPlan planned, string version, DateTimeOffset now, DateTimeOffset changeFrom)
    {
        Writes++;
        LastWriteLatency = now - changeFrom;
        LatencySum += LastWriteLatency;
        Applied(update, planned, version, now);
    }

    private void Applied(CorefileUpdate update, RedirectPlan planned, string version, DateTimeOffset? written)
    {
        if (!ReferenceEquals(update, _applied))
            _appliedBytes = System.Text.Encoding.UTF8.GetByteCount(update.Text);
        (_applied, _planned, _appliedVersion, _lastError) = (update, planned, version, null);
        _lastWrite = written ?? _lastWrite;
        FirstCheckPending = false;
    }

    public DnsWriterStatus Status(SyncPhase phase, int namespaces, bool changesPending, bool paused, string store) =>
        new(phase, namespaces, Redirected, Writes, Conflicts, _appliedVersion, _lastWrite, changesPending, _lastError)
        {
            Store = store,
            Mode = _applied?.Mode,
            Section = CorefileUpdate.SectionLines(_applied?.Text ?? ""),
            Paused = paused,
            Oversized = Oversized,
            Failures = Failures,
            CorefileBytes = _applied == null ? null : _appliedBytes,
            CorefileCapacity = Capacity,
            LastWriteLatencySeconds = LastWriteLatency.TotalSeconds,
            WriteLatencySecondsSum = LatencySum.TotalSeconds,
            Reload = _applied == null ? null : ReloadSchedule.Describe(_applied.Reload, _applied.Mode),
        };
}
