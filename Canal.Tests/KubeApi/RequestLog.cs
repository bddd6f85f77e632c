using System.Collections.Concurrent;

namespace Canal.Tests.KubeApi;

/// <summary>
/// Every resource request the emulator answered, in order; discovery and other non-resource requests apart
/// (RBAC grants those to every user).
/// </summary>
internal sealed class RequestLog
{
    private readonly ConcurrentQueue<RequestRecord> _records = new();
    private readonly ConcurrentQueue<DiscoveryRequest> _discovery = new();

    public void Add(RequestRecord record) => _records.Enqueue(record);

    public void AddDiscovery(DiscoveryRequest request) => _discovery.Enqueue(request);

    public IReadOnlyList<RequestRecord> Snapshot() => [.. _records];

    public IReadOnlyList<DiscoveryRequest> DiscoverySnapshot() => [.. _discovery];
}
