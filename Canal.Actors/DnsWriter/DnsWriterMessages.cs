using Canal.Dns;
using Canal.Istio;
using Canal.Mapping;
using Canal.Propagation;
using Canal.Serialization;

namespace Canal.DnsWriter;

/// <summary>A namespace's full claim set, pushed by its NamespaceActor. Answered with <see cref="NamespaceClaimsAccepted"/>.</summary>
public sealed record NamespaceClaims(string Namespace, long Version, IReadOnlyList<NamespaceClaim> Claims) : ICanalMessage;

public sealed record NamespaceClaimsAccepted(string Namespace, long Version) : ICanalMessage;

/// <summary>
/// Sent by a NamespaceActor before it persists anything for the first time, so the DnsWriter knows every
/// namespace that may hold claims and can sweep it after a restart. Answered with <see cref="NamespaceRegistered"/>.
/// </summary>
public sealed record RegisterNamespace(string Namespace) : ICanalMessage;

public sealed record NamespaceRegistered(string Namespace) : ICanalMessage;

/// <summary>Persisted by the DnsWriter: a namespace that may hold claims.</summary>
public sealed record NamespaceKnown(string Namespace) : ICanalMessage;

/// <summary>The DnsWriter's snapshot: the namespaces it must ask at every sync.</summary>
public sealed record DnsWriterSnapshot(IReadOnlyList<string> Namespaces) : ICanalMessage;

/// <summary>
/// DnsWriter → source: deliver a complete listing (every VirtualService through the shard region,
/// waiting for each to be applied), then answer <see cref="SyncCompleted"/> with the same epoch.
/// </summary>
/// <paramref name="Namespaces"/> are those that may hold claims: the source reads what they store before it
/// delivers, and leaves alone a VirtualService whose claims are stored with the source it has now.
public sealed record SyncRequested(long Epoch, IReadOnlyList<string>? Namespaces = null) : ICanalMessage;

/// <summary>
/// Source → DnsWriter: the listing for <see cref="Epoch"/> has been applied. Carries every VirtualService
/// that exists with the namespaces it claims in (any other claim is swept, unless the listing is not
/// <see cref="Complete"/>) and every Gateway and Service.
/// </summary>
public sealed record SyncCompleted(
    long Epoch,
    IReadOnlyList<ListedVirtualService> VirtualServices,
    IReadOnlyList<Gateway> Gateways,
    IReadOnlyList<ClusterService> Services,
    bool Complete = true) : ICanalMessage;

/// <summary>A listed VirtualService and the namespaces it claims in now (null: not known, so none of its claims is swept).</summary>
public sealed record ListedVirtualService(ObjectKey Key, IReadOnlyList<string>? Namespaces);

/// <summary>
/// Source → DnsWriter: the last listing no longer stands (the source restarted, or its listing was incomplete
/// and is complete now): ask for a new one.
/// </summary>
public sealed record ResyncRequested : ICanalMessage
{
    public static readonly ResyncRequested Instance = new();
}

/// <summary>Source → DnsWriter: the DNS configuration changed under Canal (an edit, a removed section): check it again.</summary>
public sealed record DnsConfigChanged : ICanalMessage
{
    public static readonly DnsConfigChanged Instance = new();
}

public sealed record GatewayObserved(Gateway Gateway) : ICanalMessage;

public sealed record GatewayRemoved(ObjectKey Key) : ICanalMessage;

public sealed record ServiceObserved(ClusterService Service) : ICanalMessage;

public sealed record ServiceRemoved(ObjectKey Key) : ICanalMessage;

/// <summary>Asks for <see cref="DnsWriterStatus"/>.</summary>
public sealed record GetDnsWriterStatus : ICanalMessage
{
    public static readonly GetDnsWriterStatus Instance = new();
}

public enum SyncPhase { WaitingForListing, Sweeping, Ready }

/// <summary>What the DnsWriter is doing and what it last applied: the store, its version, Canal's section as it stands there.</summary>
public sealed record DnsWriterStatus(
    SyncPhase Phase,
    int Namespaces,
    int Redirected,
    long Writes,
    long Conflicts,
    string? AppliedVersion,
    DateTimeOffset? LastWrite,
    bool ChangesPending,
    string? LastError) : ICanalMessage
{
    public string Store { get; init; } = "";
    public DnsMode? Mode { get; init; }
    public IReadOnlyList<string> Section { get; init; } = [];
    public bool Paused { get; init; }

    /// <summary>Renders not written because the Corefile would not fit its store (the ConfigMap size limit).</summary>
    public long Oversized { get; init; }

    /// <summary>Reads or writes of the store that failed, each followed by a backoff.</summary>
    public long Failures { get; init; }

    /// <summary>The size of the Corefile last applied, and what its store allows (null: no limit), in UTF-8 bytes.</summary>
    public long? CorefileBytes { get; init; }
    public long? CorefileCapacity { get; init; }

    /// <summary>From the first change a write carried to the store's answer: the last write's, and the sum over all.</summary>
    public double LastWriteLatencySeconds { get; init; }
    public double WriteLatencySecondsSum { get; init; }

    /// <summary>Where the CoreDNS replicas writes are confirmed in come from; null when writes are not confirmed.</summary>
    public string? DnsProbe { get; init; }

    /// <summary>How often CoreDNS looks at the Corefile, and what that means for a write (<see cref="ReloadSchedule.Describe"/>); null before the store was read.</summary>
    public string? Reload { get; init; }

    /// <summary>Where the last writes stand in CoreDNS, newest first; null when writes are not confirmed.</summary>
    public IReadOnlyList<WritePropagation>? Propagation { get; init; }
}

/// <summary>Asks for the verdict on every host (<see cref="HostDecisions"/>), as of the last check of the store.</summary>
public sealed record GetHostDecisions : ICanalMessage
{
    public static readonly GetHostDecisions Instance = new();
}

public sealed record HostDecisions(IReadOnlyList<HostDecision> Decisions) : ICanalMessage
{
    /// <summary>Where a redirected host not in <see cref="DnsOfChanged"/> stands in CoreDNS (<c>live</c>); null when not known.</summary>
    public string? DnsOfRedirected { get; init; }

    /// <summary>Where each host changed by a write not yet live everywhere stands: <c>pending</c>, <c>not live</c>.</summary>
    public IReadOnlyDictionary<string, string>? DnsOfChanged { get; init; }

    /// <summary>Where <paramref name="decision"/>'s host stands in CoreDNS; null when not known or not redirected.</summary>
    public string? DnsOf(HostDecision decision) =>
        DnsOfChanged?.GetValueOrDefault(decision.Host) ?? (decision.Status == HostStatus.Redirected ? DnsOfRedirected : null);
}

/// <summary>Asks for the canal gateways and their state (<see cref="CanalGatewayList"/>).</summary>
public sealed record GetCanalGateways : ICanalMessage
{
    public static readonly GetCanalGateways Instance = new();
}

public sealed record CanalGatewayList(IReadOnlyList<CanalGatewayStatus> Gateways) : ICanalMessage;

public sealed record CanalGatewayStatus(
    ObjectKey Gateway,
    IReadOnlyDictionary<string, string> Selector,
    IReadOnlyList<int> Ports,
    ObjectKey Service,
    string ServiceFqdn,
    IReadOnlyList<string> ClusterIPs,
    int? ReadyEndpoints,
    bool Withdrawn);

/// <summary>Asks for every namespace with claims (<see cref="NamespaceSummaries"/>).</summary>
public sealed record GetNamespaceSummaries : ICanalMessage
{
    public static readonly GetNamespaceSummaries Instance = new();
}

public sealed record NamespaceSummaries(IReadOnlyList<NamespaceSummary> Namespaces) : ICanalMessage;

public sealed record NamespaceSummary(string Namespace, int Claimers, int Hosts, long Version);

/// <summary>Asks what a write now would change (<see cref="DnsDiff"/>).</summary>
public sealed record GetDnsDiff : ICanalMessage
{
    public static readonly GetDnsDiff Instance = new();
}

/// <summary>Canal's section in the store now and as it would be written now; <paramref name="Error"/> when it could not be rendered.</summary>
public sealed record DnsDiff(IReadOnlyList<string> Current, IReadOnlyList<string> Wanted, string? Error) : ICanalMessage;

/// <summary>
/// Puts back the configuration saved before Canal's first change and pauses writing (or Canal would put its
/// section straight back) until <see cref="ResumeWrites"/>. Answered with <see cref="BackupRestored"/>.
/// </summary>
public sealed record RestoreBackup : ICanalMessage
{
    public static readonly RestoreBackup Instance = new();
}

public sealed record BackupRestored(bool Restored, string Message) : ICanalMessage;

/// <summary>Ends a pause (after a restore). Answered with <see cref="WritesResumed"/>.</summary>
public sealed record ResumeWrites : ICanalMessage
{
    public static readonly ResumeWrites Instance = new();
}

public sealed record WritesResumed : ICanalMessage
{
    public static readonly WritesResumed Instance = new();
}

/// <summary>What the DnsWriter publishes on the event stream for people watching (logs) and counters (metrics).</summary>
public abstract record DnsWriterNotice;

/// <summary>The barrier opened: how much was listed and swept, and how long the listing and the sweep took.</summary>
public sealed record SyncBarrierPassed(int Listed, int Namespaces, int Swept, int Redirected) : DnsWriterNotice
{
    public TimeSpan Listing { get; init; }
    public TimeSpan Sweep { get; init; }
}

/// <summary>A write landed in the store: what it changed, and the marker only its section answers.</summary>
/// <param name="Marker">The write's marker (<see cref="WriteMarker"/>), a name no other write has; in the section only when something is redirected.</param>
public sealed record CorefileWritten(long Write, string Store, DnsMode Mode, int Redirected, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, string Marker) : DnsWriterNotice;

/// <summary>Something a person should know about the rendered Corefile (the mode auto chose, a slow number of rewrite rules).</summary>
public sealed record CorefileWarning(string Store, string Warning) : DnsWriterNotice;

/// <summary>The first check after the sync barrier found the store already as it should be: nothing written.</summary>
public sealed record CorefileUpToDate(string Store, int Redirected) : DnsWriterNotice;

/// <summary>A canal gateway had no ready endpoints for the grace period: its hosts go straight to their Services again.</summary>
public sealed record GatewayWithdrawn(ObjectKey Gateway, ObjectKey Service, TimeSpan Grace) : DnsWriterNotice;

/// <summary>A withdrawn canal gateway has ready endpoints again: its redirects are back.</summary>
public sealed record GatewayRestored(ObjectKey Gateway) : DnsWriterNotice;

/// <summary>The decision for every host, after each check of the store (written or already up to date).</summary>
public sealed record PlanApplied(RedirectPlan Plan) : DnsWriterNotice;

/// <summary>The store's Corefile cannot take Canal's section (malformed, no cluster block, mode impossible); it is left as it is.</summary>
public sealed record CorefileRefused(string Store, string Reason) : DnsWriterNotice;
