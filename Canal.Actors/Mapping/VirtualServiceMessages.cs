using Canal.Istio;
using Canal.Serialization;

namespace Canal.Mapping;

/// <summary>Commands for the "virtualservice" shard region; each names its entity <c>namespace/name</c>.</summary>
public interface IVirtualServiceCommand : ICanalMessage
{
    ObjectKey Key { get; }
}

/// <summary>
/// What the source last saw applied for a VirtualService: the version its claims carried and the namespaces it
/// claimed hosts in. VirtualService actors keep their claims in memory only, so an actor started afresh (passivated,
/// moved to another node) learns from this which namespaces to release and which version to stamp after.
/// <paramref name="Namespaces"/> is null when the entity did not say (a node of an earlier release).
/// </summary>
public sealed record LastApplied(long Version, IReadOnlyList<string>? Namespaces);

/// <summary>
/// The VirtualService as it is now. <paramref name="Roots"/> are the VirtualServices that delegate to this one
/// (the source resolves delegation; it sees every object): a delegate is served under their hosts and gateways.
/// Answered with <see cref="VirtualServiceApplied"/> once every affected namespace has accepted it.
/// </summary>
public sealed record ObserveVirtualService(VirtualService Spec, IReadOnlyList<VirtualService> Roots, LastApplied? Last = null) : IVirtualServiceCommand
{
    public ObjectKey Key => Spec.Key;
}

/// <summary>
/// The VirtualService is gone: release everything, then forget it. From the sweep, <paramref name="Before"/>
/// limits it to state older than the sync's start (newer state belongs to a VirtualService created since).
/// Answered with <see cref="VirtualServiceApplied"/>.
/// </summary>
public sealed record RemoveVirtualService(ObjectKey Key, long? Before = null, LastApplied? Last = null) : IVirtualServiceCommand;

/// <summary>
/// Source → entity: answer <see cref="VirtualServiceState"/>, from the claims held or, when the entity holds none
/// (passivated since), from <paramref name="Current"/>, without changing anything.
/// </summary>
public sealed record DescribeVirtualService(ObserveVirtualService Current) : IVirtualServiceCommand
{
    public ObjectKey Key => Current.Key;
}

/// <summary>
/// Management → source: what <see cref="VirtualServiceState"/> the VirtualService has now (answered by its entity),
/// or <see cref="VirtualServiceNotDelivered"/>.
/// </summary>
public sealed record GetVirtualServiceState(ObjectKey Key) : ICanalMessage;

/// <summary>The source has delivered no VirtualService of that key (none exists, or the first sync has not reached it).</summary>
public sealed record VirtualServiceNotDelivered(ObjectKey Key) : ICanalMessage;

/// <summary>The change is applied; <paramref name="Namespaces"/> are those the VirtualService now claims hosts in.</summary>
public sealed record VirtualServiceApplied(ObjectKey Key, long Version, IReadOnlyList<string>? Namespaces = null) : ICanalMessage;

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
    string? Source = null) : ICanalMessage
{
    /// <summary>The namespaces this state claims hosts in (released ones excluded).</summary>
    public IReadOnlyList<string> ClaimedNamespaces() => [.. Claims.Where(c => c.Hosts.Count > 0).Select(c => c.Namespace)];
}

/// <summary>
/// Hosts claimed in one namespace; empty once released (kept until the next change so a release that was not
/// accepted is sent again). <paramref name="Routes"/> says, host by host, where its routes apply.
/// </summary>
public sealed record NamespaceHosts(string Namespace, IReadOnlyList<string> Hosts, IReadOnlyList<HostRoutes>? Routes = null)
{
    /// <summary>The same namespace with nothing claimed in it.</summary>
    public NamespaceHosts Released() => this with { Hosts = [], Routes = [] };
}
