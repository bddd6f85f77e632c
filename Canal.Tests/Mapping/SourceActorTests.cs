using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Tests.Support;

namespace Canal.Tests.Mapping;

public sealed class SourceActorTests : TestKit
{
    private static readonly Gateway Canal = new(new ObjectKey("istio-system", "canal"), new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new GatewayServer(5000, "HTTP", ["*"])]);
    private readonly TestProbe _virtualServices;
    private readonly TestProbe _namespaces;
    private readonly ManualSource _source = new();

    public SourceActorTests()
        : base(ActorTestConfig.Hocon)
    {
        _virtualServices = CreateTestProbe();
        _namespaces = CreateTestProbe();
    }

    private static VirtualService Vs(string name, string host) =>
        IstioObjects.VirtualService(new ObjectKey("default", name), ["istio-system/canal"], host);

    private IActorRef Start() =>
        Sys.ActorOf(SourceActor.Props(() => _source, _virtualServices, _namespaces, new RedirectOptions(), TestActor.Path.ToStringWithoutAddress(), TimeSpan.FromSeconds(3)));

    /// <summary>Plays the VirtualService region: applies the next <paramref name="count"/> commands and returns them.</summary>
    private List<IVirtualServiceCommand> Apply(int count)
    {
        var held = Hold(count);
        Answer(held);
        return [.. held.Select(h => h.Command)];
    }

    [Fact]
    public void Delivers_nothing_before_the_DnsWriter_asks_then_everything_and_completes_the_sync()
    {
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([Vs("a", "a"), Vs("b", "b")], [Canal], []));
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        source.Tell(new SyncRequested(10));
        Assert.Equal(Canal.Key, ExpectMsg<GatewayObserved>().Gateway.Key);
        Assert.Equal(["default/a", "default/b"], Apply(2).Select(c => c.Key.ToString()).Order());
        var completed = ExpectMsg<SyncCompleted>();
        Assert.Equal(10, completed.Epoch);
        Assert.Equal(2, completed.VirtualServices.Count);
        Assert.Equal([Canal.Key], completed.Gateways.Select(g => g.Key));
        Assert.True(completed.Complete);
    }

    [Fact]
    public void After_the_sync_only_changes_are_delivered()
    {
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([Vs("a", "a"), Vs("b", "b")], [Canal], []));
        source.Tell(new SyncRequested(10));
        ExpectMsg<GatewayObserved>();
        Apply(2);
        ExpectMsg<SyncCompleted>();

        _source.Publish(new SourceView([Vs("a", "a"), Vs("c", "c")], [], []));
        var commands = Apply(2).OrderBy(c => c.Key.Name).ToList();
        Assert.IsType<RemoveVirtualService>(commands.Single(c => c.Key.Name == "b"));
        Assert.IsType<ObserveVirtualService>(commands.Single(c => c.Key.Name == "c"));
        Assert.Equal(Canal.Key, ExpectMsg<GatewayRemoved>().Key);
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Each_delivery_tells_the_entity_what_it_last_applied_and_the_sync_lists_where_each_claims()
    {
        // Entities keep their claims in memory only: one started afresh learns from this what it claimed before.
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([Vs("a", "a"), Vs("b", "b")], [Canal], []));
        source.Tell(new SyncRequested(10));
        ExpectMsg<GatewayObserved>();
        Assert.All(Apply(2).Cast<ObserveVirtualService>(), o => Assert.Equal(new LastApplied(10, null), o.Last));
        Assert.All(ExpectMsg<SyncCompleted>().VirtualServices, v => Assert.Equal(["default"], v.Namespaces));

        _source.Publish(new SourceView([Vs("a", "a2")], [], []));
        var commands = Apply(2).ToDictionary(c => c.Key.Name);
        Assert.Equal(["default"], ((ObserveVirtualService)commands["a"]).Last!.Namespaces);
        Assert.Equal(["default"], ((RemoveVirtualService)commands["b"]).Last!.Namespaces);
    }

    [Fact]
    public void A_sync_leaves_alone_a_VirtualService_whose_claims_are_stored_with_the_source_it_has_now()
    {
        // A restart with nothing changed: the namespaces hold what the listing would derive again.
        var unchanged = Vs("a", "a") with { ResourceVersion = "7" };
        var edited = Vs("b", "b") with { ResourceVersion = "9" };
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([unchanged, edited], [Canal], []));
        source.Tell(new SyncRequested(10, ["default"]));
        Assert.Equal("default", _namespaces.ExpectMsg<ReportClaims>().Namespace);
        NamespaceClaim Stored(VirtualService vs, string resourceVersion) => new(vs.Key, 5, [Canal.Key], [$"{vs.Key.Name}.default.svc.cluster.local"], null,
            ClaimSource.Claiming(ClaimSource.Of(vs with { ResourceVersion = resourceVersion }, [], new RedirectOptions()), ["default"]));
        _namespaces.Reply(new NamespaceClaims("default", 5, [Stored(unchanged, "7"), Stored(edited, "8")]));
        ExpectMsg<GatewayObserved>();

        Assert.Equal(["default/b"], Apply(1).Select(c => c.Key.ToString()));
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var completed = ExpectMsg<SyncCompleted>();
        Assert.Equal(["default"], completed.VirtualServices.Single(v => v.Key == unchanged.Key).Namespaces);

        // Delivered afterwards as any other: its entity learns what it claimed.
        _source.Publish(new SourceView([unchanged with { ResourceVersion = "10", Hosts = ["a2"] }, edited], [Canal], []));
        var last = ((ObserveVirtualService)Apply(1).Single()).Last!;
        Assert.Equal(10, last.Version);
        Assert.Equal(["default"], last.Namespaces!);
    }

    [Fact]
    public void A_VirtualService_stored_in_fewer_namespaces_than_its_claims_name_is_delivered_again()
    {
        // Its first claim in "other" was never stored (that namespace's registration failed): "default" alone is not the whole.
        var vs = Vs("a", "a") with { ResourceVersion = "7" };
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([vs], [Canal], []));
        source.Tell(new SyncRequested(10, ["default", "other"]));
        var partial = new NamespaceClaim(vs.Key, 5, [Canal.Key], ["a.default.svc.cluster.local"], null,
            ClaimSource.Claiming(ClaimSource.Of(vs, [], new RedirectOptions()), ["default", "other"]));
        for (var i = 0; i < 2; i++)
        {
            var ns = _namespaces.ExpectMsg<ReportClaims>().Namespace;
            _namespaces.Reply(new NamespaceClaims(ns, 5, ns == "default" ? [partial] : []));
        }
        ExpectMsg<GatewayObserved>();
        var observe = (ObserveVirtualService)Apply(1).Single();
        Assert.Equal(["default"], observe.Last!.Namespaces!);
        Assert.True(observe.Last.Version >= 10);
        ExpectMsg<SyncCompleted>();
    }

    [Fact]
    public void A_late_request_from_an_older_DnsWriter_is_ignored()
    {
        var source = Synced(new SourceView([Vs("a", "a")], [], []), epoch: 20);

        source.Tell(new SyncRequested(10));
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_incomplete_listing_says_so_and_asks_for_a_new_sync_once_complete()
    {
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([Vs("a", "a")], [], [], Complete: false));
        source.Tell(new SyncRequested(10));
        Apply(1);
        Assert.False(ExpectMsg<SyncCompleted>().Complete);

        _source.Publish(new SourceView([Vs("a", "a"), Vs("b", "b")], [], []));
        ExpectMsg<ResyncRequested>();
    }

    [Fact]
    public void A_failed_delivery_is_retried_and_the_sync_completes_only_when_everything_applied()
    {
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([Vs("a", "a")], [], []));
        source.Tell(new SyncRequested(10));
        _virtualServices.ExpectMsg<ObserveVirtualService>();
        _virtualServices.Reply(new Status.Failure(new TimeoutException("namespace did not answer")));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // The failed attempt may have been stored in its namespace: the retry says so, for the entity to release it if need be.
        var retry = (ObserveVirtualService)Apply(1).Single();
        Assert.Equal(["default"], retry.Last!.Namespaces!);
        ExpectMsg<SyncCompleted>(TimeSpan.FromSeconds(5));
    }

    /// <summary>Syncs <paramref name="view"/> (no Gateways; every VirtualService applied), as the DnsWriter's first request at <paramref name="epoch"/> does.</summary>
    private IActorRef Synced(SourceView view, long epoch = 10)
    {
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(view);
        source.Tell(new SyncRequested(epoch));
        Apply(view.VirtualServices.Count);
        ExpectMsg<SyncCompleted>();
        return source;
    }

    [Fact]
    public void Once_synced_a_view_that_names_what_changed_delivers_only_that()
    {
        Synced(new SourceView([Vs("a", "a"), Vs("b", "b")], [], []));

        // "a" is a new instance with other content, but the view does not name it: its work is the change's, not the view's.
        var c = Vs("c", "c");
        _source.Publish(new SourceView([Vs("a", "a2"), c], [], []) { ChangedVirtualServices = new Dictionary<ObjectKey, VirtualService?> { [c.Key] = c, [Vs("b", "b").Key] = null } });
        var commands = Apply(2).OrderBy(k => k.Key.Name).ToList();
        Assert.IsType<RemoveVirtualService>(commands.Single(k => k.Key.Name == "b"));
        Assert.Same(c, Assert.IsType<ObserveVirtualService>(commands.Single(k => k.Key.Name == "c")).Spec);
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_root_named_as_changed_delivers_its_delegate_again_under_its_new_roots()
    {
        var delegateKey = new ObjectKey("default", "reviews");
        var root = IstioObjects.Root(new ObjectKey("default", "root"), ["istio-system/canal"], delegateKey, "reviews.default.svc.cluster.local");
        Synced(new SourceView([root, IstioObjects.Delegate(delegateKey, "reviews")], [], []));

        // The root now routes to a Service itself: the delegate is no longer served under it.
        var plain = Vs("root", "reviews");
        _source.Publish(new SourceView([plain, IstioObjects.Delegate(delegateKey, "reviews")], [], []) { ChangedVirtualServices = new Dictionary<ObjectKey, VirtualService?> { [plain.Key] = plain } });
        var commands = Apply(2).Cast<ObserveVirtualService>().ToDictionary(k => k.Key.Name);
        Assert.Same(plain, commands["root"].Spec);
        Assert.Empty(commands["reviews"].Roots);
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_change_whose_delivery_failed_is_delivered_again_by_comparing_the_whole_view()
    {
        Synced(new SourceView([Vs("a", "a")], [], []));

        var b = Vs("b", "b");
        _source.Publish(new SourceView([Vs("a", "a"), b], [], []) { ChangedVirtualServices = new Dictionary<ObjectKey, VirtualService?> { [b.Key] = b } });
        Assert.Equal(b.Key, _virtualServices.ExpectMsg<ObserveVirtualService>().Key);
        _virtualServices.Reply(new Status.Failure(new TimeoutException("namespace did not answer")));

        Assert.Equal([b.Key], Apply(1).Select(k => k.Key));
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    /// <summary>Receives <paramref name="count"/> commands without answering them: a delivery held in flight.</summary>
    private List<(IVirtualServiceCommand Command, IActorRef Sender)> Hold(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => (_virtualServices.ExpectMsg<IVirtualServiceCommand>(), _virtualServices.LastSender))];

    private static void Answer(IEnumerable<(IVirtualServiceCommand Command, IActorRef Sender)> held)
    {
        foreach (var (command, sender) in held)
            sender.Tell(new VirtualServiceApplied(command.Key, 1, [command.Key.Namespace]));
    }

    [Fact]
    public void A_view_that_changes_while_the_sync_is_delivered_is_delivered_right_after_it()
    {
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([Vs("a", "a"), Vs("b", "b")], [], []));
        source.Tell(new SyncRequested(10));
        var sync = Hold(2);

        _source.Publish(new SourceView([Vs("a", "a"), Vs("c", "c")], [], []));
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Answer(sync);

        Assert.Equal(10, ExpectMsg<SyncCompleted>().Epoch);
        var changes = Apply(2).ToDictionary(c => c.Key.Name);
        Assert.IsType<RemoveVirtualService>(changes["b"]);
        Assert.IsType<ObserveVirtualService>(changes["c"]);
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_sync_asked_for_while_changes_are_delivered_lists_everything_again_once_they_are_applied()
    {
        var source = Synced(new SourceView([Vs("a", "a")], [], []));

        _source.Publish(new SourceView([Vs("a", "a"), Vs("b", "b")], [], []));
        var change = Hold(1);
        source.Tell(new SyncRequested(11));
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Answer(change);

        Assert.Equal(["default/a", "default/b"], Apply(2).Select(c => c.Key.ToString()).Order());
        Assert.Equal(11, ExpectMsg<SyncCompleted>().Epoch);
    }

    [Fact]
    public void A_newer_sync_asked_for_while_the_namespaces_are_read_reads_them_again_and_completes_only_the_newer()
    {
        var source = Start();
        ExpectMsg<ResyncRequested>();
        _source.Publish(new SourceView([Vs("a", "a")], [], []));
        source.Tell(new SyncRequested(10, ["default"]));
        _namespaces.ExpectMsg<ReportClaims>();
        var older = _namespaces.LastSender;

        source.Tell(new SyncRequested(11, ["default"]));
        _namespaces.ExpectMsg<ReportClaims>();
        _namespaces.Reply(new NamespaceClaims("default", 5, []));
        older.Tell(new NamespaceClaims("default", 5, []));

        Apply(1);
        Assert.Equal(11, ExpectMsg<SyncCompleted>().Epoch);
        _virtualServices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private sealed class ManualSource : IObjectSource
    {
        private Action<SourceView> _onView = _ => { };

        public void Start(Action<SourceView> onView, Action onStoreChanged) => _onView = onView;

        public void Publish(SourceView view) => _onView(view);

        public void Dispose()
        {
        }
    }
}
