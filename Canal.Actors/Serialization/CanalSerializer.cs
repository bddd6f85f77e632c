using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Canal.DnsWriter;
using Canal.Mapping;

namespace Canal.Serialization;

/// <summary>
/// JSON for every <see cref="ICanalMessage"/>, under manifests that never change when a type is renamed
/// or moved: journals written today must still be read after a refactoring, and nodes of two versions
/// must understand each other during a rolling update.
/// </summary>
public sealed class CanalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 4711;

    /// <summary>
    /// Manifest → type. Add new types with new manifests; never change or reuse an existing one. Retired, never to be
    /// reused: <c>vs-recorded</c>, <c>vs-removed</c> (VirtualService journals, no longer read: see the README's upgrade notes).
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, Type> Manifests = new Dictionary<string, Type>
    {
        ["ns-claim"] = typeof(NamespaceClaim),
        ["vs-observe"] = typeof(ObserveVirtualService),
        ["vs-remove"] = typeof(RemoveVirtualService),
        ["vs-get-state"] = typeof(GetVirtualServiceState),
        ["vs-applied"] = typeof(VirtualServiceApplied),
        ["vs-state"] = typeof(VirtualServiceState),
        ["vs-describe"] = typeof(DescribeVirtualService),
        ["vs-not-delivered"] = typeof(VirtualServiceNotDelivered),
        ["ns-update-claim"] = typeof(UpdateClaim),
        ["ns-claim-accepted"] = typeof(ClaimAccepted),
        ["ns-release-claimers"] = typeof(ReleaseClaimers),
        ["ns-claimers-released"] = typeof(ClaimersReleased),
        ["ns-report-claims"] = typeof(ReportClaims),
        ["ns-claim-recorded"] = typeof(ClaimRecorded),
        ["ns-claims-recorded"] = typeof(ClaimsRecorded),
        ["ns-snapshot"] = typeof(NamespaceSnapshot),
        ["dw-namespace-claims"] = typeof(NamespaceClaims),
        ["dw-namespace-claims-accepted"] = typeof(NamespaceClaimsAccepted),
        ["dw-register-namespace"] = typeof(RegisterNamespace),
        ["dw-namespace-registered"] = typeof(NamespaceRegistered),
        ["dw-namespace-known"] = typeof(NamespaceKnown),
        ["dw-snapshot"] = typeof(DnsWriterSnapshot),
        ["dw-sync-requested"] = typeof(SyncRequested),
        ["dw-sync-completed"] = typeof(SyncCompleted),
        ["dw-resync-requested"] = typeof(ResyncRequested),
        ["dw-config-changed"] = typeof(DnsConfigChanged),
        ["dw-gateway-observed"] = typeof(GatewayObserved),
        ["dw-gateway-removed"] = typeof(GatewayRemoved),
        ["dw-service-observed"] = typeof(ServiceObserved),
        ["dw-service-removed"] = typeof(ServiceRemoved),
        ["dw-get-status"] = typeof(GetDnsWriterStatus),
        ["dw-status"] = typeof(DnsWriterStatus),
        ["dw-get-decisions"] = typeof(GetHostDecisions),
        ["dw-decisions"] = typeof(HostDecisions),
        ["dw-get-gateways"] = typeof(GetCanalGateways),
        ["dw-gateways"] = typeof(CanalGatewayList),
        ["dw-get-namespaces"] = typeof(GetNamespaceSummaries),
        ["dw-namespaces"] = typeof(NamespaceSummaries),
        ["dw-get-diff"] = typeof(GetDnsDiff),
        ["dw-diff"] = typeof(DnsDiff),
        ["dw-restore-backup"] = typeof(RestoreBackup),
        ["dw-backup-restored"] = typeof(BackupRestored),
        ["dw-resume-writes"] = typeof(ResumeWrites),
        ["dw-writes-resumed"] = typeof(WritesResumed),
        ["source-get-status"] = typeof(GetSourceStatus),
        ["source-status"] = typeof(SourceStatus),
    };

    private static readonly Dictionary<Type, string> ManifestOf = Manifests.ToDictionary(m => m.Value, m => m.Key);

    private static readonly JsonSerializerOptions Options = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        ManifestOf.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} has no manifest in {nameof(CanalSerializer)}; add one");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        Manifests.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Options)!
            : throw new System.Runtime.Serialization.SerializationException($"unknown manifest {manifest}: written by a newer Canal?");
}
