namespace Canal.Pacing;

/// <summary>Doubling delays from <c>min</c> up to <c>max</c> between attempts that fail; optionally jittered.</summary>
public sealed class Backoff(TimeSpan min, TimeSpan max, Random? jitter = null)
{
    private int _failures;

    /// <summary>Another failure: how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        var delay = TimeSpan.FromTicks(Math.Min(max.Ticks, min.Ticks << Math.Min(_failures++, 16)));
        // Jitter keeps a fleet of clients from retrying in lockstep.
        return jitter == null ? delay : delay * (0.5 + jitter.NextDouble() / 2);
    }

    /// <summary>An attempt succeeded: the next failure waits <c>min</c> again.</summary>
    public void Reset() => _failures = 0;
}
