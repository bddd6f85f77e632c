namespace Canal.Pacing;

/// <summary>
/// When a burst of changes is due to be acted on: after <c>quiet</c> without a change, and never later than
/// <c>maxDelay</c> after the burst's first change, so a steady stream cannot postpone it forever.
/// </summary>
public sealed class Debounce(TimeSpan quiet, TimeSpan maxDelay)
{
    /// <summary>When the burst not yet acted on began (null: nothing pending).</summary>
    public DateTimeOffset? FirstChange { get; private set; }

    /// <summary>A change at <paramref name="now"/>: how long from now the burst is due.</summary>
    public TimeSpan Changed(DateTimeOffset now)
    {
        FirstChange ??= now;
        var due = now + quiet < FirstChange.Value + maxDelay ? now + quiet : FirstChange.Value + maxDelay;
        return due > now ? due - now : TimeSpan.Zero;
    }

    /// <summary>The burst is being acted on: answers when it began, and starts the next.</summary>
    public DateTimeOffset? Take()
    {
        var first = FirstChange;
        FirstChange = null;
        return first;
    }
}
