using System.Text.Json;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using Canal.Dns;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Propagation;
using Canal.Serialization;
using Canal.Tests.Support;

namespace Canal.Tests.Serialization;

public sealed class CanalSerializerTests() : TestKit(ActorTestConfig.Hocon)
{
    private static readonly ObjectKey Vs = new("default", "reviews");
    private static readonly ObjectKey Gw = new("istio-system", "canal");
    private static readonly RouteTable Table = new(Vs, null, DateTimeOffset.UnixEpoch, ["reviews.default.svc.cluster.local"], [Gw],
    [
        new TableRoute(RouteKind.Http, "spec.http[0]", [new TableMatch([Gw], 5000, "uri prefix /v1", [], new MatchRank(2, 3, false, 0, 0))], [new WeightedHost("reviews.default.svc.cluster.local", 90), new WeightedHost("ratings.default.svc.cluster.local", 10)]),
        new TableRoute(RouteKind.Http, "spec.http[1]", [], [], "answers 503 itself (directResponse)"),
        new TableRoute(RouteKind.Http, "spec.http[2]", [], [], Delegate: new ObjectKey("default", "child")),
    ]) { Port = 5000 };
    private static readonly HostRoutes Routes = new([new RouteBinding(Gw, 5000, RouteKind.Http, "default")]) { Tables = [Table, Table with { Under = "default/root spec.http[0]" }] };
    private static readonly NamespaceClaim Claim = new(Vs, 42, [Gw], ["reviews.default.svc.cluster.local"], [Routes]);
    private static readonly VirtualService Spec = new(Vs, "7", 3, ["reviews"], ["istio-system/canal"], ["."],
    [
        new Route(RouteKind.Http, "spec.http[0]", [new RouteMatch(["istio-system/canal"], 5000, false, []) { Request = "uri prefix /v1", Rank = new MatchRank(2, 3, false, 0, 0) }],
            [new RouteDestination("reviews", 9080, "spec.http[0].route[0].destination.host") { Weight = 90 }]),
        new Route(RouteKind.Http, "spec.http[1]", [], [], new ObjectKey("default", "child")),
        new Route(RouteKind.Http, "spec.http[2]", [], []) { Answer = "answers 301 redirecting to /v2" },
    ]) { Created = DateTimeOffset.UnixEpoch, Tables = [Table] };
    private static readonly Gateway Gateway = new(Gw, new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new GatewayServer(5000, "HTTP", ["*"])]);
    private static readonly ClusterService Service = new(new ObjectKey("istio-system", "canal"), new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new ServicePort(5000, "http", "TCP")], ["10.96.0.10"]);

    public static TheoryData<ICanalMessage> Samples() =>
    [
        Claim,
        new ObserveVirtualService(Spec, [Spec], new LastApplied(41, ["default"])),
        new RemoveVirtualService(Vs, 40, new LastApplied(41, null)),
        new DescribeVirtualService(new ObserveVirtualService(Spec, [])),
        new GetVirtualServiceState(Vs),
        new VirtualServiceNotDelivered(Vs),
        new VirtualServiceApplied(Vs, 42, ["default"]),
        new VirtualServiceState(Vs, 42, false, "7", 3, [Gw], [new NamespaceHosts("default", ["reviews.default.svc.cluster.local"], [Routes with { Bindings = [], Unbound = "not exported" }])], [new SkippedHost("*.x", "spec.http[0]", "wildcard")]),
        new UpdateClaim("default", Claim),
        new ClaimAccepted("default", Vs, 42),
        new ReleaseClaimers("default", [Vs], 43),
        new ClaimersReleased("default", 1),
        new ReportClaims("default"),
        new ClaimRecorded(Claim, 44),
        new ClaimsRecorded([Claim, Claim with { Claimer = new ObjectKey("default", "ratings"), Source = "7|cluster.local|*|default" }], 45),
        new NamespaceSnapshot([Claim], 44),
        new NamespaceClaims("default", 44, [Claim]),
        new NamespaceClaimsAccepted("default", 44),
        new RegisterNamespace("default"),
        new NamespaceRegistered("default"),
        new NamespaceKnown("default"),
        new DnsWriterSnapshot(["default", "other"]),
        new SyncRequested(9),
        new SyncCompleted(9, [new ListedVirtualService(Vs, ["default"]), new ListedVirtualService(Gw, null)], [Gateway], [Service]),
        ResyncRequested.Instance,
        DnsConfigChanged.Instance,
        new GatewayObserved(Gateway),
        new GatewayRemoved(Gw),
        new ServiceObserved(Service),
        new ServiceRemoved(Service.Key),
        GetDnsWriterStatus.Instance,
        new DnsWriterStatus(SyncPhase.Ready, 1, 2, 3, 4, "v", DateTimeOffset.UnixEpoch, false, null) { Store = "memory", Mode = DnsMode.Hosts, Section = ["hosts {"], Paused = true },
        GetHostDecisions.Instance,
        new HostDecisions([new HostDecision("reviews.default.svc.cluster.local", HostStatus.Redirected, "-> canal", Gw, [Vs])
        {
            Coverage = new HostCoverage(CoverageKind.Partial, "only uri prefix /v1 is routed; other requests get 404", ["default/reviews spec.http[0]: uri prefix /v1 -> 100 % to reviews.default.svc.cluster.local"]) { Port = 5000, FallsThrough = true },
        }]),
        GetCanalGateways.Instance,
        new CanalGatewayList([new CanalGatewayStatus(Gw, new Dictionary<string, string> { ["app"] = "canal-gateway" }, [5000], Service.Key, "canal.istio-system.svc.cluster.local", ["10.96.0.10"], 2, false)]),
        GetNamespaceSummaries.Instance,
        new NamespaceSummaries([new NamespaceSummary("default", 1, 2, 44)]),
        GetDnsDiff.Instance,
        new DnsDiff(["a"], ["b"], null),
        RestoreBackup.Instance,
        new BackupRestored(true, "restored"),
        ResumeWrites.Instance,
        WritesResumed.Instance,
        GetSourceStatus.Instance,
        new SourceStatus(true, true, [new VirtualServiceSummary(Vs, ["istio-system/canal"], ["reviews"])]),
    ];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_round_trips_through_the_bound_serializer(ICanalMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<CanalSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var restored = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.Equal(message.GetType(), restored.GetType());
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(restored, restored.GetType()));
    }

    /// <summary>
    /// The protocol as it is written: each sample's bytes under its manifest, checked in. A renamed property, a changed
    /// enum or shape fails here before it can break an existing journal or a node of the previous release. To add a
    /// message, run once with CANAL_WRITE_PROTOCOL_FIXTURES=1 and commit the new file; never edit an existing one.
    /// </summary>
    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_is_written_byte_for_byte_as_the_checked_in_protocol_fixture_and_reads_back_from_it(ICanalMessage message)
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var manifest = serializer.Manifest(message);
        var bytes = serializer.ToBinary(message);
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Protocol", $"{manifest}.json");
        if (Environment.GetEnvironmentVariable("CANAL_WRITE_PROTOCOL_FIXTURES") == "1" && !File.Exists(fixture))
            File.WriteAllBytes(Path.Combine(SourceDirectory(), "Fixtures", "Protocol", $"{manifest}.json"), bytes);
        Assert.True(File.Exists(fixture), $"no protocol fixture for {manifest}: a new message? see this test's summary");
        var golden = File.ReadAllBytes(fixture);

        Assert.Equal(System.Text.Encoding.UTF8.GetString(golden), System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Equal(golden, serializer.ToBinary(serializer.FromBinary(golden, manifest)));
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetDirectoryName(Path.GetDirectoryName(file))!;

    [Fact]
    public void Every_message_type_has_a_stable_manifest_and_a_sample_here()
    {
        var types = typeof(ICanalMessage).Assembly.GetTypes()
            .Where(t => typeof(ICanalMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .ToHashSet();
        Assert.Equal(types.OrderBy(t => t.Name), CanalSerializer.Manifests.Values.OrderBy(t => t.Name));
        Assert.Equal(types.OrderBy(t => t.Name), ((IEnumerable<object[]>)Samples()).Select(row => row[0].GetType()).Distinct().OrderBy(t => t.Name));
    }

    [Fact]
    public void A_claim_stored_before_route_bindings_existed_still_recovers_as_bound_on_any_port()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(ClaimRecorded));
        // As Canal 0.1.0 wrote it: gateways per claim, no bindings per host.
        var stored = """{"Claim":{"Claimer":{"Namespace":"default","Name":"reviews"},"Version":42,"Gateways":[{"Namespace":"istio-system","Name":"canal"}],"Hosts":["reviews.default.svc.cluster.local"]},"NamespaceVersion":44}"""u8.ToArray();

        var recorded = Assert.IsType<ClaimRecorded>(serializer.FromBinary(stored, "ns-claim-recorded"));

        Assert.Equal(new HostRoutes([new RouteBinding(Gw, null, RouteKind.Http, "default")]), recorded.Claim.RoutesOf(0));
    }

    [Fact]
    public void A_claim_stored_before_route_tables_existed_still_recovers_with_its_coverage_unknown()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(ClaimRecorded));
        // As the release before coverage wrote it: bindings per host, no route tables.
        var stored = """{"Claim":{"Claimer":{"Namespace":"default","Name":"reviews"},"Version":42,"Gateways":[{"Namespace":"istio-system","Name":"canal"}],"Hosts":["reviews.default.svc.cluster.local"],"Routes":[{"Bindings":[{"Gateway":{"Namespace":"istio-system","Name":"canal"},"Port":5000,"Kind":"Http","Namespace":"default"}]}],"IsRelease":false},"NamespaceVersion":44}"""u8.ToArray();

        var recorded = Assert.IsType<ClaimRecorded>(serializer.FromBinary(stored, "ns-claim-recorded"));

        Assert.Equal(new HostRoutes([new RouteBinding(Gw, 5000, RouteKind.Http, "default")]), recorded.Claim.RoutesOf(0));
        Assert.Null(recorded.Claim.RoutesOf(0).Tables);
    }

    [Fact]
    public void A_virtual_service_sent_by_the_release_before_coverage_reads_with_no_weights_conditions_or_tables()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(ObserveVirtualService));
        var sent = """{"Spec":{"Key":{"Namespace":"default","Name":"reviews"},"ResourceVersion":"7","Generation":3,"Hosts":["reviews"],"Gateways":["istio-system/canal"],"ExportTo":["."],"Routes":[{"Kind":"Http","Path":"spec.http[0]","Matches":[{"Gateways":["istio-system/canal"],"Port":5000,"SourceScoped":false,"SniHosts":[]}],"Destinations":[{"Host":"reviews","Port":9080,"Path":"spec.http[0].route[0].destination.host"}]},{"Kind":"Http","Path":"spec.http[1]","Matches":[],"Destinations":[],"Delegate":{"Namespace":"default","Name":"child"}}]},"Roots":[{"Key":{"Namespace":"default","Name":"reviews"},"ResourceVersion":"7","Generation":3,"Hosts":["reviews"],"Gateways":["istio-system/canal"],"ExportTo":["."],"Routes":[{"Kind":"Http","Path":"spec.http[0]","Matches":[{"Gateways":["istio-system/canal"],"Port":5000,"SourceScoped":false,"SniHosts":[]}],"Destinations":[{"Host":"reviews","Port":9080,"Path":"spec.http[0].route[0].destination.host"}]},{"Kind":"Http","Path":"spec.http[1]","Matches":[],"Destinations":[],"Delegate":{"Namespace":"default","Name":"child"}}]}],"Last":{"Version":41,"Namespaces":["default"]},"Key":{"Namespace":"default","Name":"reviews"}}"""u8.ToArray();

        var observed = Assert.IsType<ObserveVirtualService>(serializer.FromBinary(sent, "vs-observe"));

        Assert.Equal(["spec.http[0]", "spec.http[1]"], observed.Spec.Routes.Select(r => r.Path));
        Assert.Null(observed.Spec.Tables);
        Assert.Null(observed.Spec.Created);
        Assert.Null(observed.Spec.Routes[0].Matches[0].Request);
        Assert.Null(observed.Spec.Routes[0].Destinations[0].Weight);
    }

    [Fact]
    public void Where_writes_stand_in_CoreDNS_crosses_nodes_with_the_status_and_the_host_decisions()
    {
        var live = new WritePropagation(3, DateTimeOffset.UnixEpoch, PropagationState.NotLive, 1, 2, 181) { NotLive = ["coredns-b"], Cause = "no reload", With = 4, Names = ["a"] };
        var status = new DnsWriterStatus(SyncPhase.Ready, 1, 2, 3, 4, "v", null, false, null) { DnsProbe = "kube-system/kube-dns", Propagation = [live] };
        var hosts = new HostDecisions([]) { DnsOfRedirected = "live", DnsOfChanged = new Dictionary<string, string> { ["a"] = "pending" } };

        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(DnsWriterStatus));
        var restoredStatus = (DnsWriterStatus)serializer.FromBinary(serializer.ToBinary(status), serializer.Manifest(status));
        var restoredHosts = (HostDecisions)serializer.FromBinary(serializer.ToBinary(hosts), serializer.Manifest(hosts));

        Assert.Equal(live.Describe(), Assert.Single(restoredStatus.Propagation!).Describe());
        Assert.Equal((status.DnsProbe, live.With), (restoredStatus.DnsProbe, restoredStatus.Propagation![0].With));
        Assert.Equal(("live", "pending"), (restoredHosts.DnsOfRedirected, restoredHosts.DnsOfChanged!["a"]));
    }

    [Fact]
    public void A_manifest_from_a_newer_version_is_reported_not_guessed()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(NamespaceKnown));
        var error = Assert.ThrowsAny<Exception>(() => serializer.FromBinary([], "dw-from-the-future"));
        Assert.Contains("dw-from-the-future", error.Message);
    }
}
