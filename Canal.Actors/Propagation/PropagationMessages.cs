using Canal.Dns;
using Canal.DnsWriter;

namespace Canal.Propagation;

public enum PropagationState { Pending, Live, NotLive, Unchecked }

/// <summary>Where a write stands in CoreDNS: pending, live on every replica (and how long it took), not live in time (where, and why).</summary>
/// <param name="Live">Replicas that answer as the write says.</param>
/// <param name="Seconds">From the write to the last replica going live (or to now, or to the deadline).</param>
public sealed record WritePropagation(long Write, DateTimeOffset WrittenAt, PropagationState State, int Live, int Replicas, double Seconds)
{
    /// <summary>The replicas not live when the deadline passed.</summary>
    public IReadOnlyList<string>? NotLive { get; init; }

    /// <summary>Why not: the likely cause per replica, or why the write is not checked.</summary>
    public string? Cause { get; init; }

    /// <summary>A later write this one was confirmed with: a replica that loaded it has loaded every change before it.</summary>
    public long? With { get; init; }

    /// <summary>The names the replicas were asked.</summary>
    public IReadOnlyList<string>? Names { get; init; }

    /// <summary>The deadline it missed, in seconds (not live only).</summary>
    public double? DeadlineSeconds { get; init; }

    public string Describe() => State switch
    {
        PropagationState.Live => $"live on {Live}/{Replicas} replicas after {Seconds:0.0} s{(With is { } w ? $" (confirmed with write #{w})" : "")}",
        PropagationState.NotLive => $"not live within {(DeadlineSeconds is { } d ? $"its {Duration(d)} deadline" : "its deadline")} ({Seconds:0.0} s after the write) on {string.Join(", ", NotLive ?? [])} ({Live}/{Replicas} live): {Cause}",
        PropagationState.Unchecked => $"not checked: {Cause}",
        _ => $"pending: live on {Live}/{Replicas} replicas after {Seconds:0} s{(Cause is { } c ? $" ({c})" : "")}",
    };

    /// <summary>Minutes from a minute on (a deadline of 3 min is said as such).</summary>
    private static string Duration(double seconds) => seconds >= 60 ? $"{seconds / 60:0.#} min" : $"{seconds:0.#} s";
}

/// <summary>
/// DnsWriter → its probe: a write was made; confirm it. <paramref name="Before"/> and <paramref name="Now"/> are the
/// section it replaced and the one it wrote, <paramref name="Changed"/> every host whose entry differs between them.
/// </summary>
internal sealed record ProbeWrite(
    long Write,
    DateTimeOffset WrittenAt,
    IReadOnlyDictionary<string, SectionEntry> Before,
    IReadOnlyDictionary<string, SectionEntry> Now,
    IReadOnlySet<string> Changed,
    CorefileUpdate Update);

/// <summary>A write went live on every replica (the propagation time is its <see cref="WritePropagation.Seconds"/>).</summary>
public sealed record WriteLive(WritePropagation Propagation) : DnsWriterNotice;

/// <summary>
/// A write was not live on every replica by its deadline. <paramref name="Repeat"/>: an earlier write said the same
/// within <see cref="PropagationSettings.NotLiveNoticeEvery"/> (a stream of writes against a CoreDNS that never reloads),
/// so the log and the Event leave it out; the metric counts it.
/// </summary>
public sealed record WriteNotLive(WritePropagation Propagation, bool Repeat = false) : DnsWriterNotice;
