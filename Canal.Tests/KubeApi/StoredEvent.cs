namespace Canal.Tests.KubeApi;

/// <summary>
/// One change in the store, as etcd's watch would report it: the object before (null when created) and after.
/// For a deletion <see cref="Object"/> is the last state carrying the deletion's resourceVersion, as the real
/// server sends it in the DELETED event.
/// </summary>
internal sealed record StoredEvent(long ResourceVersion, string Type, ResourceType ResourceType, string Namespace, string? Previous, string Object);
