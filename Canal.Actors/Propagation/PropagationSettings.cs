using Canal.Dns;

namespace Canal.Propagation;

/// <summary>How the propagation probe paces itself and how long it waits.</summary>
public sealed record PropagationSettings
{
    /// <summary>Between rounds of questions while a write is pending: each round asks every replica not yet live.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Between rounds once every pending write is past its deadline: a late reload still turns the write live, and is
    /// reported within this of when it happened. Slower than <see cref="Interval"/>, a ceiling on the questions a CoreDNS
    /// that never reloads gets.
    /// </summary>
    public TimeSpan LateInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a write may take to be live on every replica before it is reported (CoreDNS: kubelet's sync, then reload's 30 s ± 15 s).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The replicas are listed again every this many rounds (a rollout replaces them).</summary>
    public int ListEvery { get; init; } = 5;

    /// <summary>How many names added, and how many removed, a write is checked by.</summary>
    public int Sample { get; init; } = PropagationCheck.DefaultSample;

    /// <summary>Write markers a replica is asked in a round: the newest write's and, in turn, older pending ones'.</summary>
    public int Markers { get; init; } = 4;

    /// <summary>Replicas asked at once.</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>A write not live by the deadline is said (log, Event) at most this often while the cause stays the same.</summary>
    public TimeSpan NotLiveNoticeEvery { get; init; } = TimeSpan.FromMinutes(1);
}
