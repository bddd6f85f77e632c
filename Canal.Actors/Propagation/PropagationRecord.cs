namespace Canal.Propagation;

/// <summary>
/// The DnsWriter's memory of where its last writes stand in CoreDNS, and which write last changed each host: what
/// <c>canal-cmd canal dns show</c> and <c>canal hosts</c> show. CoreDNS loads the Corefile whole, so once a write is
/// live every write before it is too.
/// </summary>
internal sealed class PropagationRecord
{
    public const int Kept = 10;

    private readonly LinkedList<WritePropagation> _writes = new();
    private readonly Dictionary<long, List<string>> _hostsOf = [];
    private readonly Dictionary<string, long> _changedBy = new(StringComparer.Ordinal);
    private long _liveThrough;

    public void Written(long write, DateTimeOffset at, IReadOnlyList<string> hosts)
    {
        _writes.AddFirst(new WritePropagation(write, at, PropagationState.Pending, 0, 0, 0));
        _hostsOf[write] = [.. hosts];
        foreach (var host in hosts)
            _changedBy[host] = write;
        while (_writes.Count > Kept)
            Forget(_writes.Last!.Value);
    }

    public void Update(WritePropagation propagation)
    {
        for (var node = _writes.First; node != null; node = node.Next)
        {
            if (node.Value.Write == propagation.Write)
                node.Value = propagation;
            else if (propagation.State == PropagationState.Live && node.Value.Write < propagation.Write && node.Value.State != PropagationState.Live)
                node.Value = propagation with
                {
                    Write = node.Value.Write,
                    WrittenAt = node.Value.WrittenAt,
                    Seconds = propagation.Seconds + (propagation.WrittenAt - node.Value.WrittenAt).TotalSeconds,
                    With = propagation.Write,
                    Names = node.Value.Names,
                };
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

    /// <summary>
    /// Drops the oldest write. Its hosts not yet live are the oldest kept write's from then on: whatever that one shows,
    /// they show too (it holds them, unless it changed them again).
    /// </summary>
    private void Forget(WritePropagation oldest)
    {
        _writes.RemoveLast();
        if (!_hostsOf.Remove(oldest.Write, out var written))
            return;
        var hosts = written.Where(h => _changedBy.GetValueOrDefault(h) == oldest.Write).ToList();
        var heir = _writes.Last!.Value.Write;
        foreach (var host in hosts)
        {
            if (oldest.Write <= _liveThrough || !_hostsOf.TryGetValue(heir, out var inherited))
                _changedBy.Remove(host);
            else
            {
                _changedBy[host] = heir;
                inherited.Add(host);
            }
        }
    }

    private static string Name(PropagationState state) => state switch
    {
        PropagationState.Live => "live",
        PropagationState.NotLive => "not live",
        PropagationState.Unchecked => "not checked",
        _ => "pending",
    };
}
