namespace Canal.Node.Kubernetes;

/// <summary>What the Kubernetes adapters count in this process, for /metrics.</summary>
internal static class Counters
{
    /// <summary>Watches re-opened after a drop, an error or 410 Gone.</summary>
    public static readonly Counter WatchRestarts = new();

    /// <summary>Events that could not be posted.</summary>
    public static readonly Counter EventFailures = new();
}

internal sealed class Counter
{
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public void Count() => Interlocked.Increment(ref _total);
}
