namespace Canal.DnsWriter;

/// <summary>
/// Where the Corefile lives: a file in local mode, the CoreDNS ConfigMap in Kubernetes. Writes are
/// conditional on the version read, so someone else's concurrent edit is never overwritten.
/// </summary>
public interface IDnsConfigStore
{
    /// <summary>A human-readable name for logs, such as the file path or <c>kube-system/coredns</c>.</summary>
    string Description { get; }

    Task<DnsConfig> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="content"/> if the store is still at <paramref name="expectedVersion"/>, recording
    /// <paramref name="fence"/> (the writer's epoch) where the store can keep it, for <see cref="DnsConfig.Fence"/>.
    /// </summary>
    Task<DnsWriteResult> WriteAsync(string content, string expectedVersion, long fence, CancellationToken cancellationToken);

    /// <summary>Puts back what was there before Canal's first change; a message says what was done (or why not).</summary>
    Task<(bool Restored, string Message)> RestoreBackupAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The Corefile's text and an opaque version (a resourceVersion, a content hash). <see cref="Fence"/> is the
/// epoch of the DnsWriter that wrote it last (0 where the store cannot keep one): a DnsWriter that reads a
/// newer epoch than its own has been replaced, and must not write.
/// </summary>
public sealed record DnsConfig(string Content, string Version)
{
    public long Fence { get; init; }

    /// <summary>
    /// How many UTF-8 bytes the content may take (a ConfigMap's 1 MiB less its other keys); null where the store
    /// has no limit. A Corefile over it is never written: the API server would refuse it on every retry.
    /// </summary>
    public long? Capacity { get; init; }
}

public abstract record DnsWriteResult
{
    private DnsWriteResult() { }

    public sealed record Written(string NewVersion) : DnsWriteResult;

    /// <summary>The store moved past the expected version: read again, render again, retry.</summary>
    public sealed record Conflict(string Detail) : DnsWriteResult;
}
