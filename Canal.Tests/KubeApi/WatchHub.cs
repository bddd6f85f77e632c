namespace Canal.Tests.KubeApi;

/// <summary>
/// Open watches and the bounded history of recent changes they can resume from. Compacted history is gone, as
/// in etcd: a watch from before it gets 410 Expired. Called under the store's lock, so events stay in order.
/// </summary>
internal sealed class WatchHub(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Queue<StoredEvent> _history = new();
    private readonly List<Watcher> _watchers = [];
    private readonly List<Action<StoredEvent>> _observers = [];
    private long _compactedResourceVersion;

    /// <summary>Changes at or before this resourceVersion can no longer be replayed.</summary>
    public long CompactedResourceVersion { get { lock (_gate) return _compactedResourceVersion; } }

    public int Count { get { lock (_gate) return _watchers.Count; } }

    public void Publish(StoredEvent change)
    {
        lock (_gate)
        {
            _history.Enqueue(change);
            while (_history.Count > capacity)
                _compactedResourceVersion = _history.Dequeue().ResourceVersion;
            foreach (var watcher in _watchers)
                watcher.Offer(change);
            foreach (var observer in _observers)
                observer(change);
        }
    }

    /// <summary>Calls <paramref name="observer"/> with every change from now on, in order, under the store's lock (keep it short).</summary>
    public void Observe(Action<StoredEvent> observer)
    {
        lock (_gate)
            _observers.Add(observer);
    }

    public void Compact(long resourceVersion)
    {
        lock (_gate)
        {
            while (_history.TryPeek(out var oldest) && oldest.ResourceVersion <= resourceVersion)
                _history.Dequeue();
            _compactedResourceVersion = Math.Max(_compactedResourceVersion, resourceVersion);
        }
    }

    /// <summary>Registers a watch that first gets the recorded changes after <paramref name="after"/>.</summary>
    public void Subscribe(Watcher watcher, long after)
    {
        lock (_gate)
        {
            foreach (var change in _history.Where(e => e.ResourceVersion > after))
                watcher.Offer(change);
            _watchers.Add(watcher);
        }
    }

    public void Unsubscribe(Watcher watcher)
    {
        lock (_gate)
            _watchers.Remove(watcher);
    }

    public void Bookmark(long resourceVersion)
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers.Where(w => w.WantsBookmarks))
                watcher.Bookmark(resourceVersion);
        }
    }

    public void DropAll()
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers)
                watcher.Drop();
        }
    }
}
