namespace Canal.Node.Kubernetes;

/// <summary>A token bucket on an injected clock: <see cref="Burst"/> at once, then one token every <see cref="Refill"/>.</summary>
internal sealed class TokenBucket(int burst, TimeSpan refill, TimeProvider clock)
{
    private double _tokens = burst;
    private DateTimeOffset _at = clock.GetUtcNow();

    /// <summary>Whether a token is there now, without taking it.</summary>
    public bool HasToken()
    {
        var now = clock.GetUtcNow();
        _tokens = Math.Min(burst, _tokens + (now - _at) / refill);
        _at = now;
        return _tokens >= 1;
    }

    /// <summary>Takes a token if one is there.</summary>
    public bool TryTake()
    {
        if (!HasToken())
            return false;
        _tokens--;
        return true;
    }
}
