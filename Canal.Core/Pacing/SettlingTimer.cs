namespace Canal.Pacing;

/// <summary>
/// Runs an action once a burst of changes has settled (<see cref="Debounce"/>), on a timer of the given clock; one run
/// at a time, in order (a change during a run re-arms the timer, whose next run waits for this one).
/// </summary>
internal sealed class SettlingTimer : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Lock _running = new();
    private readonly Debounce _debounce;
    private readonly TimeProvider _clock;
    private readonly ITimer _timer;

    public SettlingTimer(TimeSpan quiet, TimeSpan maxDelay, Action act, TimeProvider clock)
    {
        _clock = clock;
        _debounce = new Debounce(quiet, maxDelay);
        _timer = _clock.CreateTimer(_ =>
        {
            lock (_running)
            {
                // Changes from here on may come after the action has read them: they start the next burst.
                lock (_lock)
                    _debounce.Take();
                act();
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Changed()
    {
        lock (_lock)
            _timer.Change(_debounce.Changed(_clock.GetUtcNow()), Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _timer.Dispose();
}
