using System.Text.Json.Serialization;

namespace Canal.Contracts;

// The management API's answers. The JSON names are the contract: scripts read them (canal-cmd -o json), so
// a rename here is a breaking change of the API, not a refactoring.

public sealed record VersionInfo(
    [property: JsonPropertyName("version")] string Version);

public sealed record ErrorAnswer(
    [property: JsonPropertyName("error")] string Error);

public sealed record MessageAnswer(
    [property: JsonPropertyName("message")] string Message);

public sealed record MemberRequest(
    [property: JsonPropertyName("address")] string Address);

public sealed record ClusterView(
    [property: JsonPropertyName("self")] string Self,
    [property: JsonPropertyName("leader")] string? Leader,
    [property: JsonPropertyName("members")] IReadOnlyList<MemberView> Members,
    [property: JsonPropertyName("unreachable")] IReadOnlyList<string> Unreachable);

public sealed record MemberView(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("roles")] IReadOnlyList<string> Roles);

public sealed record ShardRegionView(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("nodes")] int Nodes,
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("entities")] int Entities);

/// <summary>Entities per shard of one region on this node.</summary>
public sealed record RegionStatsView(
    [property: JsonPropertyName("shards")] IReadOnlyDictionary<string, int> Shards);

/// <summary>Entities per shard of one region, node by node.</summary>
public sealed record ShardStatsView(
    [property: JsonPropertyName("nodes")] IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Nodes);

public sealed record ActorNodeView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("children")] IReadOnlyList<ActorNodeView> Children);

public sealed record VirtualServiceSummaryView(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("gateways")] IReadOnlyList<string> Gateways,
    [property: JsonPropertyName("destinations")] IReadOnlyList<string> Destinations);

public sealed record VirtualServiceView(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("removed")] bool Removed,
    [property: JsonPropertyName("resourceVersion")] string? ResourceVersion,
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("gateways")] IReadOnlyList<string> Gateways,
    [property: JsonPropertyName("claims")] IReadOnlyList<ClaimView> Claims,
    [property: JsonPropertyName("skipped")] IReadOnlyList<SkippedView> Skipped);

/// <summary>Hosts claimed in one namespace; empty once released.</summary>
public sealed record ClaimView(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("hosts")] IReadOnlyList<string> Hosts);

public sealed record SkippedView(
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("reason")] string Reason);

public sealed record NamespaceSummaryView(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("claimers")] int Claimers,
    [property: JsonPropertyName("hosts")] int Hosts,
    [property: JsonPropertyName("version")] long Version);

public sealed record NamespaceView(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("claims")] IReadOnlyList<NamespaceClaimView> Claims);

public sealed record NamespaceClaimView(
    [property: JsonPropertyName("claimer")] string Claimer,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("gateways")] IReadOnlyList<string> Gateways,
    [property: JsonPropertyName("hosts")] IReadOnlyList<string> Hosts);

public sealed record HostView(
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("gateway")] string? Gateway,
    [property: JsonPropertyName("claimers")] IReadOnlyList<string> Claimers)
{
    /// <summary>Where the host stands in CoreDNS: live, pending, not live; null when not known (writes not confirmed, or not redirected).</summary>
    [JsonPropertyName("dns")]
    public string? Dns { get; init; }

    /// <summary>What the gateway does with the host's requests; null when not worked out (not bound to a canal gateway).</summary>
    [JsonPropertyName("coverage")]
    public CoverageView? Coverage { get; init; }
}

/// <summary>
/// A host's coverage: <paramref name="Kind"/> full, partial, shared or none; the gateway port it was judged on (the worst, when
/// ports differ); the routes that take its requests, in the order the gateway tries them; and whether some match none (404).
/// </summary>
public sealed record CoverageView(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("summary")] string Summary,
    [property: JsonPropertyName("port")] int? Port,
    [property: JsonPropertyName("routes")] IReadOnlyList<string> Routes,
    [property: JsonPropertyName("fallsThrough")] bool FallsThrough);

public sealed record GatewayView(
    [property: JsonPropertyName("gateway")] string Gateway,
    [property: JsonPropertyName("selector")] IReadOnlyDictionary<string, string> Selector,
    [property: JsonPropertyName("ports")] IReadOnlyList<int> Ports,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("serviceFqdn")] string ServiceFqdn,
    [property: JsonPropertyName("clusterIPs")] IReadOnlyList<string> ClusterIPs,
    [property: JsonPropertyName("readyEndpoints")] int? ReadyEndpoints,
    [property: JsonPropertyName("withdrawn")] bool Withdrawn);

public sealed record DnsView(
    [property: JsonPropertyName("store")] string Store,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("mode")] string? Mode,
    [property: JsonPropertyName("appliedVersion")] string? AppliedVersion,
    [property: JsonPropertyName("lastWrite")] DateTimeOffset? LastWrite,
    [property: JsonPropertyName("writes")] long Writes,
    [property: JsonPropertyName("conflicts")] long Conflicts,
    [property: JsonPropertyName("redirected")] int Redirected,
    [property: JsonPropertyName("namespaces")] int Namespaces,
    [property: JsonPropertyName("changesPending")] bool ChangesPending,
    [property: JsonPropertyName("paused")] bool Paused,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("section")] IReadOnlyList<string> Section)
{
    /// <summary>Where the CoreDNS replicas writes are confirmed in come from; null when writes are not confirmed.</summary>
    [JsonPropertyName("dnsProbe")]
    public string? DnsProbe { get; init; }

    /// <summary>How often CoreDNS looks at the Corefile, and what that means for a write; null before the store was read.</summary>
    [JsonPropertyName("reload")]
    public string? Reload { get; init; }

    /// <summary>The last writes in CoreDNS, newest first.</summary>
    [JsonPropertyName("propagation")]
    public IReadOnlyList<PropagationView> Propagation { get; init; } = [];
}

/// <summary>One write in CoreDNS: <c>state</c> is pending, live, notLive or unchecked; <c>text</c> says it in a sentence.</summary>
public sealed record PropagationView(
    [property: JsonPropertyName("write")] long Write,
    [property: JsonPropertyName("writtenAt")] DateTimeOffset WrittenAt,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("live")] int Live,
    [property: JsonPropertyName("replicas")] int Replicas,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("notLive")] IReadOnlyList<string> NotLive,
    [property: JsonPropertyName("cause")] string? Cause,
    [property: JsonPropertyName("names")] IReadOnlyList<string> Names,
    [property: JsonPropertyName("text")] string Text);

public sealed record DnsDiffView(
    [property: JsonPropertyName("current")] IReadOnlyList<string> Current,
    [property: JsonPropertyName("wanted")] IReadOnlyList<string> Wanted,
    [property: JsonPropertyName("error")] string? Error);

public sealed record RestoreAnswer(
    [property: JsonPropertyName("restored")] bool Restored,
    [property: JsonPropertyName("message")] string Message);
