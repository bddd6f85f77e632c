using System.Collections.Concurrent;

namespace Canal.Tests.KubeApi;

/// <summary>Every resource request the emulator answered, in order (discovery is not logged: RBAC grants it to everyone).</summary>
internal sealed class RequestLog
{
    private readonly ConcurrentQueue<RequestRecord> _records = new();

    public void Add(RequestRecord record) => _records.Enqueue(record);

    public IReadOnlyList<RequestRecord> Snapshot() => [.. _records];
}
