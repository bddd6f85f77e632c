using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Canal.Istio;
using Canal.Mapping;
using Canal.Tests.Support;

namespace Canal.Tests.Mapping;

public sealed class VirtualServiceActorTests() : TestKit(ActorTestConfig.Hocon)
{
    private static readonly ObjectKey Key = new("default", "reviews");
    private static readonly ObjectKey Canal = new("istio-system", "canal");

    private static VirtualService Spec(IReadOnlyList<string> gateways, params string[] hosts) =>
        IstioObjects.VirtualService(Key, gateways, hosts) with { ResourceVersion = "1", Generation = 1 };

    private (IActorRef Actor, TestProbe Namespaces) Start()
    {
        var namespaces = CreateTestProbe();
        return (Sys.ActorOf(VirtualServiceActor.Props(Key.ToString(), namespaces, new RedirectOptions(), TimeSpan.FromSeconds(3))), namespaces);
    }

    /// <summary>Answers every UpdateClaim the probe receives, as the namespace entities would, and returns them.</summary>
    private static List<UpdateClaim> AcceptClaims(TestProbe namespaces, int count)
    {
        var updates = new List<UpdateClaim>();
        for (var i = 0; i < count; i++)
        {
            var update = namespaces.ExpectMsg<UpdateClaim>();
            namespaces.Reply(new ClaimAccepted(update.Namespace, update.Claim.Claimer, update.Claim.Version));
            updates.Add(update);
        }
        return updates;
    }

    [Fact]
    public void Claims_each_destination_namespace_with_full_host_sets_and_answers_when_all_accepted()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new ObserveVirtualService(Spec(["istio-system/canal"], "reviews", "ratings.other.svc.cluster.local", "details.default.svc.cluster.local"), []));

        var updates = AcceptClaims(namespaces, 2).OrderBy(u => u.Namespace).ToList();
        Assert.Equal("default", updates[0].Namespace);
        Assert.Equal(["details.default.svc.cluster.local", "reviews.default.svc.cluster.local"], updates[0].Claim.Hosts);
        Assert.Equal("other", updates[1].Namespace);
        Assert.Equal(["ratings.other.svc.cluster.local"], updates[1].Claim.Hosts);
        Assert.All(updates, u => Assert.Equal([Canal], u.Claim.Gateways));
        Assert.Equal(Key, ExpectMsg<VirtualServiceApplied>().Key);
    }

    [Fact]
    public void Does_not_answer_before_every_namespace_accepted()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new ObserveVirtualService(Spec(["canal"], "a.one.svc.cluster.local", "b.two.svc.cluster.local"), []));
        var first = namespaces.ExpectMsg<UpdateClaim>();
        namespaces.ExpectMsg<UpdateClaim>();
        namespaces.Reply(new ClaimAccepted(first.Namespace, Key, first.Claim.Version));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Moving_a_route_releases_the_old_namespace_and_claims_the_new_one()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new ObserveVirtualService(Spec(["canal"], "reviews.one.svc.cluster.local"), []));
        var before = AcceptClaims(namespaces, 1).Single();
        ExpectMsg<VirtualServiceApplied>();

        actor.Tell(new ObserveVirtualService(Spec(["canal"], "reviews.two.svc.cluster.local"), []));
        var after = AcceptClaims(namespaces, 2).ToDictionary(u => u.Namespace);
        Assert.Empty(after["one"].Claim.Hosts);
        Assert.Equal(["reviews.two.svc.cluster.local"], after["two"].Claim.Hosts);
        Assert.True(after["one"].Claim.Version > before.Claim.Version);
        ExpectMsg<VirtualServiceApplied>();
    }

    [Fact]
    public void A_mesh_only_VirtualService_claims_nothing()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new ObserveVirtualService(Spec(["mesh"], "reviews"), []));
        ExpectMsg<VirtualServiceApplied>();
        namespaces.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_delegate_claims_under_the_gateways_it_inherits()
    {
        var (actor, namespaces) = Start();
        var root = IstioObjects.Root(new ObjectKey("front", "root"), [Canal.ToString()], Key, "reviews.default.svc.cluster.local");
        actor.Tell(new ObserveVirtualService(IstioObjects.Delegate(Key, "reviews"), [root]));
        var update = AcceptClaims(namespaces, 1).Single();
        Assert.Equal([Canal], update.Claim.Gateways);
        ExpectMsg<VirtualServiceApplied>();
    }

    [Fact]
    public void An_unchanged_spec_is_sent_again_with_the_same_version_so_lost_claims_heal()
    {
        var (actor, namespaces) = Start();
        var spec = Spec(["canal"], "reviews");
        actor.Tell(new ObserveVirtualService(spec, []));
        var first = AcceptClaims(namespaces, 1).Single();
        ExpectMsg<VirtualServiceApplied>();

        actor.Tell(new ObserveVirtualService(spec, []));
        var again = AcceptClaims(namespaces, 1).Single();
        Assert.Equal(first.Claim, again.Claim with { Gateways = first.Claim.Gateways, Hosts = first.Claim.Hosts });
        Assert.Equal(first.Claim.Version, again.Claim.Version);
        ExpectMsg<VirtualServiceApplied>();
    }

    [Fact]
    public void Removing_releases_every_namespace_and_forgets_the_VirtualService()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new ObserveVirtualService(Spec(["canal"], "a.one.svc.cluster.local", "b.two.svc.cluster.local"), []));
        AcceptClaims(namespaces, 2);
        ExpectMsg<VirtualServiceApplied>();

        actor.Tell(new RemoveVirtualService(Key));
        var releases = AcceptClaims(namespaces, 2);
        Assert.All(releases, r => Assert.Empty(r.Claim.Hosts));
        Assert.Empty(ExpectMsg<VirtualServiceApplied>().Namespaces!);
    }

    [Fact]
    public void Answers_with_the_namespaces_it_now_claims_in_so_the_source_can_tell_a_later_incarnation()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new ObserveVirtualService(Spec(["canal"], "a.one.svc.cluster.local", "b.two.svc.cluster.local"), []));
        var updates = AcceptClaims(namespaces, 2);
        var applied = ExpectMsg<VirtualServiceApplied>();
        Assert.Equal(["one", "two"], applied.Namespaces);
        Assert.All(updates, u => Assert.Equal(applied.Version, u.Claim.Version));
    }

    [Fact]
    public void Started_afresh_it_releases_the_namespaces_it_claimed_before_and_stamps_after_their_version()
    {
        // Passivated or moved to another node: the actor holds nothing; the source says what it last claimed.
        var (actor, namespaces) = Start();
        var earlier = DateTime.UtcNow.AddDays(1).Ticks;
        actor.Tell(new ObserveVirtualService(Spec(["canal"], "reviews.two.svc.cluster.local"), [], new LastApplied(earlier, ["one"])));

        var updates = AcceptClaims(namespaces, 2).ToDictionary(u => u.Namespace);
        Assert.Empty(updates["one"].Claim.Hosts);
        Assert.Equal(["reviews.two.svc.cluster.local"], updates["two"].Claim.Hosts);
        Assert.All(updates.Values, u => Assert.True(u.Claim.Version > earlier));
        Assert.Equal(["two"], ExpectMsg<VirtualServiceApplied>().Namespaces);
    }

    [Fact]
    public void Started_afresh_for_a_removal_it_releases_what_the_source_says_it_claimed()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new RemoveVirtualService(Key, Last: new LastApplied(1, ["one", "two"])));
        var releases = AcceptClaims(namespaces, 2);
        Assert.Equal(["one", "two"], releases.Select(r => r.Namespace).Order());
        Assert.All(releases, r => Assert.Empty(r.Claim.Hosts));
        ExpectMsg<VirtualServiceApplied>();
    }

    [Fact]
    public void Described_while_holding_nothing_it_answers_from_the_delivered_spec_and_claims_nothing()
    {
        var (actor, namespaces) = Start();
        actor.Tell(new DescribeVirtualService(new ObserveVirtualService(Spec(["canal"], "reviews", "*.wild"), [], new LastApplied(7, ["default"]))));
        var state = ExpectMsg<VirtualServiceState>();
        Assert.Equal(["reviews.default.svc.cluster.local"], state.Claims.Single().Hosts);
        Assert.Equal(7, state.Version);
        Assert.Single(state.Skipped);
        namespaces.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // Nothing was taken on: observing the same spec now claims it afresh.
        actor.Tell(new ObserveVirtualService(Spec(["canal"], "reviews"), []));
        Assert.Equal(["reviews.default.svc.cluster.local"], AcceptClaims(namespaces, 1).Single().Claim.Hosts);
    }

    [Fact]
    public void A_namespace_that_does_not_answer_fails_the_observation_so_the_source_retries()
    {
        var namespaces = CreateTestProbe();
        var actor = Sys.ActorOf(VirtualServiceActor.Props(Key.ToString(), namespaces, new RedirectOptions(), TimeSpan.FromMilliseconds(200)));
        actor.Tell(new ObserveVirtualService(Spec(["canal"], "reviews"), []));
        namespaces.ExpectMsg<UpdateClaim>();
        ExpectMsg<Status.Failure>();
    }
}
