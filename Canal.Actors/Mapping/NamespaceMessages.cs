using Canal.Istio;
using Canal.Serialization;

namespace Canal.Mapping;

/// <summary>Commands for the "namespace" shard region; the entity is the destination namespace.</summary>
public interface INamespaceCommand : ICanalMessage
{
    string Namespace { get; }
}

/// <summary>A VirtualService's full claim in this namespace. Answered with <see cref="ClaimAccepted"/> once the DnsWriter has it.</summary>
public sealed record UpdateClaim(string Namespace, NamespaceClaim Claim) : INamespaceCommand;

public sealed record ClaimAccepted(string Namespace, ObjectKey Claimer, long Version) : ICanalMessage;

/// <summary>
/// Drops the claims of VirtualServices that no longer exist (the sync barrier's sweep), but only claims older
/// than <paramref name="Before"/> (the sync's start): one made since comes from a VirtualService created during
/// the sync, which is alive. Answered with <see cref="ClaimersReleased"/>.
/// </summary>
public sealed record ReleaseClaimers(string Namespace, IReadOnlyList<ObjectKey> Claimers, long Before) : INamespaceCommand;

public sealed record ClaimersReleased(string Namespace, int Released) : ICanalMessage;

/// <summary>Asks for the namespace's current <see cref="NamespaceClaims"/>.</summary>
public sealed record ReportClaims(string Namespace) : INamespaceCommand;

/// <summary>
/// Persisted for the claims accepted together (releases included, kept as tombstones against late copies):
/// everything that arrived while the previous write was in flight.
/// </summary>
public sealed record ClaimsRecorded(IReadOnlyList<NamespaceClaim> Claims, long NamespaceVersion) : ICanalMessage;

/// <summary>One claim, as journals written before <see cref="ClaimsRecorded"/> hold them: still recovered, no longer written.</summary>
public sealed record ClaimRecorded(NamespaceClaim Claim, long NamespaceVersion) : ICanalMessage;

/// <summary>The NamespaceActor's snapshot: every claim, tombstones included.</summary>
public sealed record NamespaceSnapshot(IReadOnlyList<NamespaceClaim> Claims, long NamespaceVersion) : ICanalMessage;
