using Canal.DnsWriter;
using Canal.Node.Local;

namespace Canal.Tests.Support;

/// <summary>
/// A Corefile held in memory, with the same optimistic concurrency as the real stores, a record of every
/// write, and hooks to make a write conflict or fail.
/// </summary>
internal sealed class InMemoryDnsConfigStore(string original) : IDnsConfigStore
{
    private readonly string _original = original;
    private string content = original;
    private readonly Lock _lock = new();
    private readonly List<string> _writes = [];

    public string Description => "memory";

    public string Content
    {
        get { lock (_lock) return content; }
        set { lock (_lock) content = value; }
    }

    public IReadOnlyList<string> Writes
    {
        get { lock (_lock) return [.. _writes]; }
    }

    /// <summary>The size limit the store reports (as a ConfigMap's); null for none.</summary>
    public long? Capacity { get; set; }

    /// <summary>Called just before a write is checked; may change <see cref="Content"/> (another writer) or throw (a failing store).</summary>
    public Action<InMemoryDnsConfigStore>? BeforeWrite { get; set; }

    /// <summary>Called before a restore puts the original back (a slow store).</summary>
    public Action? BeforeRestore { get; set; }

    public Task<(bool Restored, string Message)> RestoreBackupAsync(CancellationToken cancellationToken)
    {
        BeforeRestore?.Invoke();
        lock (_lock)
        {
            if (_writes.Count == 0)
                return Task.FromResult((false, "nothing was written"));
            content = _original;
            return Task.FromResult((true, "restored"));
        }
    }

    public Task<DnsConfig> ReadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
            return Task.FromResult(new DnsConfig(content, CorefileFileStore.VersionOf(content)) { Capacity = Capacity });
    }

    public Task<DnsWriteResult> WriteAsync(string newContent, string expectedVersion, long fence, CancellationToken cancellationToken)
    {
        BeforeWrite?.Invoke(this);
        lock (_lock)
        {
            if (CorefileFileStore.VersionOf(content) != expectedVersion)
                return Task.FromResult<DnsWriteResult>(new DnsWriteResult.Conflict("moved"));
            content = newContent;
            _writes.Add(newContent);
            return Task.FromResult<DnsWriteResult>(new DnsWriteResult.Written(CorefileFileStore.VersionOf(newContent)));
        }
    }
}
