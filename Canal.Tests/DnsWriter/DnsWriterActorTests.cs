using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Canal.Dns;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Node.Local;
using Canal.Node.Probing;
using Canal.Propagation;
using Canal.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Canal.Tests.DnsWriter;

public sealed class DnsWriterActorTests : TestKit
{
    private static readonly ObjectKey CanalKey = new("istio-system", "canal");
    private static readonly ObjectKey Reviews = new("default", "reviews");
    private static readonly Gateway CanalGateway = new(CanalKey, new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new GatewayServer(5000, "HTTP", ["*"])]);
    private static readonly string Kubeadm = DefaultCorefile.For("cluster.local");
    private static readonly DnsWriterSettings Settings = new() { Mode = DnsMode.Rewrite, RetryMin = TimeSpan.FromMilliseconds(20), RetryMax = TimeSpan.FromMilliseconds(200) };
    private static long _version = DateTime.UtcNow.Ticks;

    private readonly TestProbe _source;
    private readonly TestProbe _namespaces;
    private readonly TestProbe _virtualServices;

    public DnsWriterActorTests()
        : base(ActorTestConfig.Hocon)
    {
        _source = CreateTestProbe();
        _namespaces = CreateTestProbe();
        _virtualServices = CreateTestProbe();
    }

    private static string Host(int i) => $"svc-{i}.default.svc.cluster.local";

    private static NamespaceClaims Claims(string ns, params (ObjectKey Claimer, string[] Hosts)[] claims) =>
        new(ns, Interlocked.Increment(ref _version), [.. claims.Select(c => new NamespaceClaim(c.Claimer, _version, [CanalKey], c.Hosts))]);

    private IActorRef StartWriter(IDnsConfigStore store, DnsWriterSettings? settings = null, TimeProvider? clock = null, ICoreDnsReplicas? replicas = null) =>
        Sys.ActorOf(DnsWriterActor.Props(store, _source, _namespaces, _virtualServices, settings ?? Settings, clock, replicas));

    /// <summary>Plays the source: answers the writer's request for a listing with the given live VirtualServices, each claiming in its own namespace.</summary>
    private void CompleteSync(IActorRef writer, params ObjectKey[] alive) =>
        CompleteSync(writer, [.. alive.Select(k => new ListedVirtualService(k, [k.Namespace]))]);

    private void CompleteSync(IActorRef writer, IReadOnlyList<ListedVirtualService> listed)
    {
        var request = _source.ExpectMsg<SyncRequested>();
        writer.Tell(new SyncCompleted(request.Epoch, listed, [CanalGateway], []));
    }

    /// <summary>A writer holding <see cref="Reviews"/>'s claim on <paramref name="hosts"/> (none given: <c>Host(1)</c>), its sync completed.</summary>
    private IActorRef SyncedWriter(IDnsConfigStore store, params string[] hosts)
    {
        var writer = StartWriter(store);
        writer.Tell(Claims("default", (Reviews, hosts.Length > 0 ? hosts : [Host(1)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        CompleteSync(writer, Reviews);
        return writer;
    }

        private DnsWriterStatus Status(IActorRef writer) => writer.Ask<DnsWriterStatus>(GetDnsWriterStatus.Instance, TimeSpan.FromSeconds(3)).Result;

    private static HostDecisions HostDecisions(IActorRef writer) => writer.Ask<HostDecisions>(GetHostDecisions.Instance, TimeSpan.FromSeconds(3)).Result;

    private static IReadOnlyList<HostDecision> Decisions(IActorRef writer) => HostDecisions(writer).Decisions;

    private void AwaitIdle(IActorRef writer) =>
        AwaitAssert(() =>
        {
            var status = Status(writer);
            Assert.Equal(SyncPhase.Ready, status.Phase);
            Assert.False(status.ChangesPending);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));

    [Fact]
    public void Writes_nothing_before_the_sync_barrier_then_the_whole_state_in_one_write()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        writer.Tell(Claims("default", (Reviews, [Host(1)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        writer.Tell(Claims("other", (new ObjectKey("other", "vs"), ["a.other.svc.cluster.local"])));
        ExpectMsg<NamespaceClaimsAccepted>();
        Assert.Equal(SyncPhase.WaitingForListing, Status(writer).Phase);
        Assert.Empty(store.Writes);

        CompleteSync(writer, Reviews, new ObjectKey("other", "vs"));
        AwaitIdle(writer);
        var written = Assert.Single(store.Writes);
        Assert.Contains($"rewrite name exact {Host(1)} canal.istio-system.svc.cluster.local", written);
        Assert.Contains("rewrite name exact a.other.svc.cluster.local canal.istio-system.svc.cluster.local", written);
    }

    [Fact]
    public void Writes_go_on_while_CoreDNS_does_not_answer_and_the_status_and_hosts_say_they_are_pending()
    {
        using var coredns = DnsResponder.Start();
        coredns.Silent = true;
        IReadOnlyList<CoreDnsReplica> replicas = [new("coredns-0", coredns.Address, coredns.Port)];
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store, Settings with { Propagation = new PropagationSettings { Interval = TimeSpan.FromMilliseconds(20) } },
            replicas: new DnsClientReplicas("kube-system/kube-dns", _ => Task.FromResult(replicas)));
        CompleteSync(writer, Reviews);
        for (var i = 1; i <= 2; i++)
        {
            writer.Tell(Claims("default", (Reviews, [.. Enumerable.Range(1, i).Select(Host)])));
            ExpectMsg<NamespaceClaimsAccepted>();
            AwaitAssert(() => Assert.Contains(Host(i), store.Content), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        }

        // The record takes a write once the store has answered, which may come just after the content shows it.
        AwaitAssert(() => Assert.Equal([2L, 1L], Status(writer).Propagation!.Select(p => p.Write)), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        var status = Status(writer);
        Assert.Equal("kube-system/kube-dns", status.DnsProbe);
        Assert.All(status.Propagation!, p => Assert.Equal(PropagationState.Pending, p.State));
        var hosts = HostDecisions(writer);
        Assert.Equal("pending", hosts.DnsOfChanged![Host(2)]);
        Assert.Null(hosts.DnsOfRedirected);
        AwaitAssert(() => Assert.True(coredns.Questions > 0), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void A_host_sharing_a_tcp_port_is_redirected_once_the_other_host_leaves_that_port()
    {
        var tcpGateway = CanalGateway with { Servers = [new GatewayServer(5000, "TCP", ["*"])] };
        HostRoutes Tcp(string ns) => new([new RouteBinding(CanalKey, null, RouteKind.Tcp, ns)]);
        var other = new ObjectKey("other", "db");
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        writer.Tell(new NamespaceClaims("default", Interlocked.Increment(ref _version), [new NamespaceClaim(Reviews, _version, [CanalKey], [Host(1)], [Tcp("default")])]));
        ExpectMsg<NamespaceClaimsAccepted>();
        writer.Tell(new NamespaceClaims("other", Interlocked.Increment(ref _version), [new NamespaceClaim(other, _version, [CanalKey], ["db.other.svc.cluster.local"], [Tcp("other")])]));
        ExpectMsg<NamespaceClaimsAccepted>();
        var request = _source.ExpectMsg<SyncRequested>();
        writer.Tell(new SyncCompleted(request.Epoch, [new(Reviews, ["default"]), new(other, ["other"])], [tcpGateway], []));
        AwaitIdle(writer);
        Assert.All(Decisions(writer), d => Assert.Equal(HostStatus.Blocked, d.Status));

        // Only the other namespace changes; the cached verdict on the first host must not survive it.
        writer.Tell(new NamespaceClaims("other", Interlocked.Increment(ref _version), []));
        ExpectMsg<NamespaceClaimsAccepted>();
        AwaitAssert(() => Assert.Contains($"rewrite name exact {Host(1)} ", store.Content), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void A_burst_of_a_thousand_changes_becomes_a_handful_of_writes()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        CompleteSync(writer);
        AwaitIdle(writer);

        var hosts = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            hosts.Add(Host(i));
            writer.Tell(Claims("default", (Reviews, [.. hosts])));
        }
        ReceiveN(1000, TimeSpan.FromSeconds(20));
        AwaitIdle(writer);

        Assert.Contains($"rewrite name exact {Host(999)} ", store.Content);
        Assert.InRange(store.Writes.Count, 1, 5);
    }

    [Fact]
    public void A_concurrent_edit_by_someone_else_is_kept_and_the_section_still_lands()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var edited = false;
        store.BeforeWrite = s =>
        {
            if (edited)
                return;
            edited = true;
            s.Content = s.Content.Replace("    cache 30", "    cache 60");
        };
        var writer = SyncedWriter(store);
        AwaitIdle(writer);

        Assert.Contains("    cache 60", store.Content);
        Assert.Contains($"rewrite name exact {Host(1)} ", store.Content);
        Assert.Equal(1, Status(writer).Conflicts);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Its_own_write_seen_again_as_a_store_change_is_not_checked_again_while_an_edit_is(bool nameBlockedAtRender)
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        Sys.EventStream.Subscribe(TestActor, typeof(PlanApplied));
        // A name in Canal's write-marker zone is blocked when rendered: what is written is then not the plan as decided.
        var writer = nameBlockedAtRender ? SyncedWriter(store, Host(1), "a.canal-write.cluster.local") : SyncedWriter(store);
        ExpectMsg<PlanApplied>();
        AwaitIdle(writer);

        // The watch reports the write Canal just made: the store holds what was applied, so the plan is not fed on again.
        writer.Tell(DnsConfigChanged.Instance);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        store.Content = store.Content.Replace("    cache 30", "    cache 60");
        writer.Tell(DnsConfigChanged.Instance);
        ExpectMsg<PlanApplied>();
        Assert.Single(store.Writes);
    }

    [Fact]
    public void A_Corefile_over_the_stores_size_limit_is_refused_reported_and_the_last_good_one_kept()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals, typeof(CorefileRefused));
        writer.Tell(Claims("default", (Reviews, [Host(1)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        CompleteSync(writer, Reviews);
        AwaitIdle(writer);
        var lastGood = Assert.Single(store.Writes);
        store.Capacity = lastGood.Length + 200;

        writer.Tell(Claims("default", (Reviews, [.. Enumerable.Range(1, 10).Select(Host)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        var refused = refusals.ExpectMsg<CorefileRefused>(TimeSpan.FromSeconds(5));
        Assert.Contains("10 redirects", refused.Reason);
        Assert.Contains("the last good one is kept", refused.Reason);
        AwaitIdle(writer);
        Assert.Equal(lastGood, store.Content);
        Assert.Single(store.Writes);
        Assert.Equal(1, Status(writer).Oversized);

        writer.Tell(Claims("default", (Reviews, [Host(1), Host(2)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        AwaitAssert(() => Assert.Contains($"rewrite name exact {Host(2)} ", store.Content), TimeSpan.FromSeconds(5));
        Assert.Null(Status(writer).LastError);
    }

    [Fact]
    public void A_Service_or_gateway_change_is_decided_again_for_hosts_whose_claims_did_not_change()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        writer.Tell(Claims("default", (Reviews, [Host(1), Host(2)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        CompleteSync(writer, Reviews);
        AwaitAssert(() => Assert.Contains($"rewrite name exact {Host(2)} ", store.Content), TimeSpan.FromSeconds(5));

        // svc-2's Service now listens on a port the gateway does not open: its redirect would black-hole it.
        writer.Tell(new ServiceObserved(new ClusterService(new ObjectKey("default", "svc-2"), new Dictionary<string, string>(), [new ServicePort(8080, "http", null)], [])));
        AwaitAssert(() => Assert.DoesNotContain($"rewrite name exact {Host(2)} ", store.Content), TimeSpan.FromSeconds(5));
        Assert.Contains($"rewrite name exact {Host(1)} ", store.Content);

        writer.Tell(new GatewayRemoved(CanalKey));
        AwaitAssert(() => Assert.DoesNotContain("rewrite name exact", store.Content), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_gateway_without_ready_endpoints_keeps_its_redirects_for_the_grace_period_and_a_diff_meanwhile_changes_nothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store, Settings with { ReadinessGrace = TimeSpan.FromMinutes(5) }, clock);
        var notices = CreateTestProbe();
        Sys.EventStream.Subscribe(notices, typeof(GatewayWithdrawn));
        var gatewayService = new ClusterService(CanalKey, new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new ServicePort(5000, "http", null)], ["10.0.0.9"]) { ReadyEndpoints = 0 };
        writer.Tell(Claims("default", (Reviews, [Host(1)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        var request = _source.ExpectMsg<SyncRequested>();
        writer.Tell(new SyncCompleted(request.Epoch, [new ListedVirtualService(Reviews, ["default"])], [CanalGateway], [gatewayService]));
        AwaitIdle(writer);
        Assert.Contains($"rewrite name exact {Host(1)} ", store.Content);

        clock.Advance(TimeSpan.FromMinutes(5));
        var diff = await writer.Ask<DnsDiff>(GetDnsDiff.Instance, TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(diff.Wanted, l => l.Contains("rewrite name exact"));
        notices.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.False(Assert.Single((await writer.Ask<CanalGatewayList>(GetCanalGateways.Instance, TimeSpan.FromSeconds(3))).Gateways).Withdrawn);

        writer.Tell(DnsConfigChanged.Instance);
        Assert.Equal(CanalKey, notices.ExpectMsg<GatewayWithdrawn>().Gateway);
        AwaitAssert(() => Assert.DoesNotContain("rewrite name exact", store.Content), TimeSpan.FromSeconds(5));
        Assert.True(Assert.Single((await writer.Ask<CanalGatewayList>(GetCanalGateways.Instance, TimeSpan.FromSeconds(3))).Gateways).Withdrawn);
    }

    [Fact]
    public void A_write_reports_its_latency_from_the_first_change_it_carries_on_the_writers_clock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store, clock: clock);
        CompleteSync(writer);
        AwaitIdle(writer);

        writer.Tell(Claims("default", (Reviews, [Host(1)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        clock.Advance(TimeSpan.FromSeconds(3));
        AwaitAssert(() => Assert.Contains($"rewrite name exact {Host(1)} ", store.Content), TimeSpan.FromSeconds(5));
        AwaitIdle(writer);
        Assert.Equal(3, Status(writer).LastWriteLatencySeconds);
    }

    [Fact]
    public void A_restore_then_a_resume_sent_during_a_write_wait_for_it_and_are_taken_in_order()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        store.BeforeWrite = _ =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(10));
        };
        var writer = SyncedWriter(store);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));

        using var restoring = new ManualResetEventSlim();
        store.BeforeRestore = () => restoring.Wait(TimeSpan.FromSeconds(10));
        writer.Tell(RestoreBackup.Instance);
        writer.Tell(ResumeWrites.Instance);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        store.BeforeWrite = null;
        release.Set();
        // The write is over and the restore under way: the resume waits for it too.
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        restoring.Set();

        Assert.True(ExpectMsg<BackupRestored>().Restored);
        ExpectMsg<WritesResumed>();
        AwaitIdle(writer);
        Assert.False(Status(writer).Paused);
        Assert.Contains($"rewrite name exact {Host(1)} ", store.Content);
    }

    [Fact]
    public void A_store_that_fails_for_a_while_is_retried_until_the_write_lands()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var failures = 3;
        store.BeforeWrite = _ =>
        {
            if (failures-- > 0)
                throw new IOException("store unavailable");
        };
        var writer = SyncedWriter(store);
        AwaitIdle(writer);

        Assert.Contains($"rewrite name exact {Host(1)} ", Assert.Single(store.Writes));
        Assert.Null(Status(writer).LastError);
    }

    [Fact]
    public void A_malformed_Corefile_is_never_written_and_the_refusal_is_reported()
    {
        var malformed = Kubeadm.Replace("    cache 30\n", "    cache 30 {\n");
        var store = new InMemoryDnsConfigStore(malformed);
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals, typeof(CorefileRefused));
        var writer = SyncedWriter(store);

        Assert.Contains("never closed", refusals.ExpectMsg<CorefileRefused>().Reason);
        AwaitIdle(writer);
        Assert.Empty(store.Writes);
        Assert.Equal(malformed, store.Content);

        // Once someone fixes it, the next change lands.
        store.Content = Kubeadm;
        writer.Tell(Claims("default", (Reviews, [Host(1), Host(2)])));
        ExpectMsg<NamespaceClaimsAccepted>();
        AwaitAssert(() => Assert.Contains($"rewrite name exact {Host(2)} ", store.Content), TimeSpan.FromSeconds(5));
    }

    /// <summary>Plays a namespace entity during the sweep: reports its claims to the writer's next ReportClaims.</summary>
    private void ReportWhenAsked(NamespaceClaims claims)
    {
        Assert.Equal(claims.Namespace, _namespaces.ExpectMsg<ReportClaims>().Namespace);
        _namespaces.Reply(claims);
    }

    /// <summary>A first life of the writer: Reviews claims Host(1) in a registered namespace, written, then the writer stops.</summary>
    private (InMemoryDnsConfigStore Store, NamespaceClaims Claims) FirstLife()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        writer.Tell(new RegisterNamespace("default"));
        ExpectMsg<NamespaceRegistered>();
        var claims = Claims("default", (Reviews, [Host(1)]));
        writer.Tell(claims);
        ExpectMsg<NamespaceClaimsAccepted>();
        CompleteSync(writer, Reviews);
        ReportWhenAsked(claims);
        AwaitIdle(writer);
        Assert.Contains(Host(1), store.Content);
        Watch(writer);
        writer.Tell(PoisonPill.Instance);
        ExpectTerminated(writer);
        return (store, claims);
    }

    [Fact]
    public void After_a_restart_claims_of_VirtualServices_that_vanished_are_swept_before_anything_is_written()
    {
        var (store, claims) = FirstLife();

        // Reviews was deleted while Canal was down.
        var revived = StartWriter(store);
        CompleteSync(revived);
        ReportWhenAsked(claims);
        var release = _namespaces.ExpectMsg<ReleaseClaimers>();
        var namespaceAsk = _namespaces.LastSender;
        Assert.Equal([Reviews], release.Claimers);
        Assert.Equal(Reviews, _virtualServices.ExpectMsg<RemoveVirtualService>().Key);
        Assert.Equal(SyncPhase.Sweeping, Status(revived).Phase);
        Assert.Single(store.Writes);

        // The namespace entity pushes its swept set, then answers; the VirtualService entity answers too.
        revived.Tell(Claims("default"));
        ExpectMsg<NamespaceClaimsAccepted>();
        namespaceAsk.Tell(new ClaimersReleased("default", 1));
        _virtualServices.Reply(new VirtualServiceApplied(Reviews, 0));
        AwaitIdle(revived);
        Assert.DoesNotContain(Host(1), store.Content);
        Assert.Equal(2, store.Writes.Count);
    }

    [Fact]
    public void After_a_restart_a_claim_in_a_namespace_the_listed_VirtualService_no_longer_routes_to_is_swept()
    {
        var (store, claims) = FirstLife();

        // While Canal was down, Reviews moved its route to another namespace: the listing says where it claims now.
        var revived = StartWriter(store);
        CompleteSync(revived, [new ListedVirtualService(Reviews, ["elsewhere"])]);
        ReportWhenAsked(claims);
        Assert.Equal([Reviews], _namespaces.ExpectMsg<ReleaseClaimers>().Claimers);
        _namespaces.Reply(new ClaimersReleased("default", 1));
        revived.Tell(Claims("default"));
        ExpectMsg<NamespaceClaimsAccepted>();
        AwaitIdle(revived);
        Assert.DoesNotContain(Host(1), store.Content);
        // It still exists: its entity keeps what it claims elsewhere.
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_restart_with_nothing_changed_writes_nothing()
    {
        var (store, claims) = FirstLife();

        var revived = StartWriter(store);
        CompleteSync(revived, Reviews);
        ReportWhenAsked(claims);
        AwaitIdle(revived);
        Assert.Single(store.Writes);
        Assert.Equal(1, Status(revived).Redirected);
    }

    [Fact]
    public void A_VirtualService_created_while_the_sync_runs_is_not_swept_though_the_listing_missed_it()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        writer.Tell(new RegisterNamespace("default"));
        ExpectMsg<NamespaceRegistered>();
        var request = _source.ExpectMsg<SyncRequested>();

        // Created after the listing was taken, so not in it; its claim is stamped after the sync started.
        var created = new ObjectKey("default", "created");
        var claims = new NamespaceClaims("default", DateTime.UtcNow.Ticks, [new NamespaceClaim(created, DateTime.UtcNow.Ticks, [CanalKey], [Host(7)])]);
        writer.Tell(new SyncCompleted(request.Epoch, [], [CanalGateway], []));
        ReportWhenAsked(claims);
        AwaitIdle(writer);

        _namespaces.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Contains($"rewrite name exact {Host(7)} ", store.Content);
    }

    [Fact]
    public void An_incomplete_listing_sweeps_nothing()
    {
        var store = new InMemoryDnsConfigStore(Kubeadm);
        var writer = StartWriter(store);
        writer.Tell(new RegisterNamespace("default"));
        ExpectMsg<NamespaceRegistered>();
        var request = _source.ExpectMsg<SyncRequested>();
        writer.Tell(new SyncCompleted(request.Epoch, [], [CanalGateway], [], Complete: false));
        ReportWhenAsked(Claims("default", (Reviews, [Host(1)])));
        AwaitIdle(writer);

        _namespaces.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Contains($"rewrite name exact {Host(1)} ", store.Content);
    }
}
