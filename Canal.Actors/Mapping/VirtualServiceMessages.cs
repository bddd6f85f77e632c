using Canal.Istio;
using Canal.Serialization;

namespace Canal.Mapping;

/// <summary>Commands for the "virtualservice" shard region; each names its entity <c>namespace/name</c>.</summary>
public interface IVirtualServiceCommand : ICanalMessage
{
    ObjectKey Key { get; }
}

/// <summary>
/// The VirtualService as it is now. <paramref name="Roots"/> are the VirtualServices that delegate to this one
/// (the source resolves delegation; it sees every object): a delegate is served under their hosts and gateways.
/// Answered with <see cref="VirtualServiceApplied"/> once every affected namespace has accepted it.
/// </summary>
public sealed record ObserveVirtualService(VirtualService Spec, IReadOnlyList<VirtualService> Roots) : IVirtualServiceCommand
{
    public ObjectKey Key => Spec.Key;
}

/// <summary>
/// The VirtualService is gone: release everything, then forget it. From the sweep, <paramref name="Before"/>
/// limits it to state older than the sync's start (newer state belongs to a VirtualService created since).
/// Answered with <see cref="VirtualServiceApplied"/>.
/// </summary>
public sealed record RemoveVirtualService(ObjectKey Key, long? Before = null) : IVirtualServiceCommand;

/// <summary>Asks for <see cref="VirtualServiceState"/>.</summary>
public sealed record GetVirtualServiceState(ObjectKey Key) : IVirtualServiceCommand;

public sealed record VirtualServiceApplied(ObjectKey Key, long Version) : ICanalMessage;

/// <summary>What the actor holds: the spec's identity, the gateways it names, its claims per namespace and its skipped hosts.</summary>
public sealed record VirtualServiceState(
    ObjectKey Key,
    long Version,
    bool Removed,
    string? ResourceVersion,
    long Generation,
    IReadOnlyList<ObjectKey> Gateways,
    IReadOnlyList<NamespaceHosts> Claims,
    IReadOnlyList<SkippedHost> Skipped,
    long SequenceNr) : ICanalMessage;

/// <summary>
/// Hosts claimed in one namespace; empty once released (kept so a release lost in a crash is sent again).
/// <paramref name="Routes"/> says, host by host, where its routes apply; null in states stored before it existed.
/// </summary>
public sealed record NamespaceHosts(string Namespace, IReadOnlyList<string> Hosts, IReadOnlyList<HostRoutes>? Routes = null)
{
    /// <summary>The same namespace with nothing claimed in it.</summary>
    public NamespaceHosts Released() => this with { Hosts = [], Routes = [] };
}

/// <summary>Persisted whenever the derived claims change: the whole state, so recovery needs only the last one.</summary>
public sealed record VirtualServiceRecorded(
    long Version,
    string? ResourceVersion,
    long Generation,
    IReadOnlyList<ObjectKey> Gateways,
    IReadOnlyList<NamespaceHosts> Claims,
    IReadOnlyList<SkippedHost> Skipped) : ICanalMessage;

/// <summary>Persisted when the VirtualService is deleted; its releases are then delivered and the journal deleted.</summary>
public sealed record VirtualServiceRemoved(long Version) : ICanalMessage;
