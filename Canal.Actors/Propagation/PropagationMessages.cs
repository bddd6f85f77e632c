using Canal.Dns;
using Canal.DnsWriter;

namespace Canal.Propagation;

/// <summary>How the propagation probe paces itself and how long it waits.</summary>
public sealed record PropagationSettings
{
    /// <summary>Between rounds of questions while a write is pending: each round asks every replica not yet live.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Between rounds once the deadline has passed: a late reload still turns the write live.</summary>
    public TimeSpan LateInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a write may take to be live on every replica before it is reported (CoreDNS: kubelet's sync, then reload's 30 s ± 15 s).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The replicas are listed again every this many rounds (a rollout replaces them).</summary>
    public int ListEvery { get; init; } = 5;

    /// <summary>How many names added, and how many removed, a write is checked by.</summary>
    public int Sample { get; init; } = PropagationCheck.DefaultSample;

    /// <summary>Replicas asked at once.</summary>
    public int Parallelism { get; init; } = 8;
}

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

    public string Describe() => State switch
    {
        PropagationState.Live => $"live on {Live}/{Replicas} replicas after {Seconds:0.0} s{(With is { } w ? $" (confirmed with write #{w})" : "")}",
        PropagationState.NotLive => $"not live after {Minutes(Seconds)} on {string.Join(", ", NotLive ?? [])} ({Live}/{Replicas} live): {Cause}",
        PropagationState.Unchecked => $"not checked: {Cause}",
        _ => $"pending: live on {Live}/{Replicas} replicas after {Seconds:0} s{(Cause is { } c ? $" ({c})" : "")}",
    };

    private static string Minutes(double seconds) => seconds >= 60 && seconds % 60 < 1 ? $"{seconds / 60:0} min" : $"{seconds:0} s";
}

/// <summary>DnsWriter → its probe: a write was made; confirm it.</summary>
internal sealed record ProbeWrite(long Write, DateTimeOffset WrittenAt, PropagationCheck Check);

/// <summary>A write went live on every replica (the propagation time is its <see cref="WritePropagation.Seconds"/>).</summary>
public sealed record WriteLive(WritePropagation Propagation) : DnsWriterNotice;

/// <summary>A write was not live on every replica by the deadline: said once per write.</summary>
public sealed record WriteNotLive(WritePropagation Propagation) : DnsWriterNotice;
