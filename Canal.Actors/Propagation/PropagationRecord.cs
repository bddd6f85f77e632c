namespace Canal.Propagation;

/// <summary>
/// The DnsWriter's memory of where its last writes stand in CoreDNS, and which write last changed each host: what
/// <c>canal-cmd canal dns show</c> and <c>canal hosts</c> show. Every host redirected before the newest write that went
/// live is live too (CoreDNS loads the Corefile whole).
/// </summary>
internal sealed class PropagationRecord
{
    public const int Kept = 10;

    private readonly LinkedList<WritePropagation> _writes = new();
    private readonly Dictionary<long, IReadOnlyList<string>> _hostsOf = [];
    private readonly Dictionary<string, long> _changedBy = new(StringComparer.Ordinal);
    private long _liveThrough;

    public void Written(long write, DateTimeOffset at, IReadOnlyList<string> hosts)
    {
        _writes.AddFirst(new WritePropagation(write, at, PropagationState.Pending, 0, 0, 0));
        _hostsOf[write] = hosts;
        foreach (var host in hosts)
            _changedBy[host] = write;
        while (_writes.Count > Kept)
        {
            var oldest = _writes.Last!.Value.Write;
            _writes.RemoveLast();
            foreach (var host in _hostsOf[oldest].Where(h => _changedBy.GetValueOrDefault(h) == oldest))
                _changedBy.Remove(host);
            _hostsOf.Remove(oldest);
        }
    }

    public void Update(WritePropagation propagation)
    {
        for (var node = _writes.First; node != null; node = node.Next)
        {
            if (node.Value.Write == propagation.Write)
                node.Value = propagation;
        }
        if (propagation.State == PropagationState.Live)
            _liveThrough = Math.Max(_liveThrough, propagation.Write);
    }

    /// <summary>The kept writes, newest first.</summary>
    public IReadOnlyList<WritePropagation> Recent => [.. _writes];

    /// <summary>
    /// What <c>canal hosts</c> shows: the state of every redirected host not changed since the newest live write
    /// (null before any write went live), and of each host changed since.
    /// </summary>
    public (string? Redirected, IReadOnlyDictionary<string, string> Changed) HostStates()
    {
        var states = _writes.ToDictionary(w => w.Write, w => Name(w.State));
        var changed = _changedBy.Where(c => c.Value > _liveThrough && states.ContainsKey(c.Value))
            .ToDictionary(c => c.Key, c => states[c.Value], StringComparer.Ordinal);
        return (_liveThrough > 0 ? Name(PropagationState.Live) : null, changed);
    }

    private static string Name(PropagationState state) => state switch
    {
        PropagationState.Live => "live",
        PropagationState.NotLive => "not live",
        PropagationState.Unchecked => "not checked",
        _ => "pending",
    };
}
