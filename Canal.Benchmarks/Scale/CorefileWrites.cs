using System.Diagnostics;
using Canal.Dns;

namespace Canal.Benchmarks.Scale;

/// <summary>
/// Every version of the Corefile as the store received it, with the moment it was stored (a Stopwatch timestamp).
/// The text is read and parsed only when a wait needs it, so recording costs the store nothing.
/// </summary>
internal sealed class CorefileWrites
{
    private readonly Lock _gate = new();
    private readonly List<Write> _writes = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Write(long at, Func<string> text)
    {
        private Func<string>? _text = text;
        private IReadOnlySet<string>? _hosts;
        public long At { get; } = at;
        public IReadOnlySet<string> Hosts => _hosts ??= CorefileUpdate.RedirectedHosts(Text);
        public int Bytes => System.Text.Encoding.UTF8.GetByteCount(Text);
        private string Text => _text?.Invoke() ?? throw new InvalidOperationException("this write was trimmed");

        public void Release() => (_text, _hosts) = (null, null);
    }

    public int Count
    {
        get { lock (_gate) return _writes.Count; }
    }

    public void Add(long at, Func<string> text)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _writes.Add(new Write(at, text));
            (changed, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        changed.SetResult();
    }

    /// <summary>The moment of each write from index <paramref name="from"/> on.</summary>
    public IReadOnlyList<long> Times(int from)
    {
        lock (_gate)
            return [.. _writes.Skip(from).Select(w => w.At)];
    }

    /// <summary>The redirected hosts of write <paramref name="index"/>.</summary>
    public IReadOnlySet<string> HostsOf(int index)
    {
        Write write;
        lock (_gate)
            write = _writes[index];
        return write.Hosts;
    }

    /// <summary>Lets go of the text of writes before <paramref name="index"/> (a long run would otherwise hold every Corefile).</summary>
    public void Trim(int index)
    {
        lock (_gate)
        {
            foreach (var write in _writes.Take(Math.Max(0, index)))
                write.Release();
        }
    }

    /// <summary>The size in bytes of the latest write.</summary>
    public int LastBytes()
    {
        lock (_gate)
            return _writes.Count == 0 ? 0 : _writes[^1].Bytes;
    }

    /// <summary>
    /// The first write at or after index <paramref name="from"/> whose redirected hosts satisfy
    /// <paramref name="holds"/>: its index and when it was stored.
    /// </summary>
    public async Task<(int Index, long At)> WaitFor(int from, Func<IReadOnlySet<string>, bool> holds, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var next = from;
        while (true)
        {
            Task changed;
            Write? candidate;
            lock (_gate)
            {
                changed = _changed.Task;
                candidate = next < _writes.Count ? _writes[next] : null;
            }
            if (candidate != null)
            {
                if (holds(candidate.Hosts))
                    return (next, candidate.At);
                next++;
                continue;
            }
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"no Corefile write with {what} within {timeout.TotalSeconds:F0} s ({Count} writes seen)");
            await Task.WhenAny(changed, Task.Delay(left));
        }
    }
}
