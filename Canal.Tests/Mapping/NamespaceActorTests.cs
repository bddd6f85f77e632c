using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Tests.Support;

namespace Canal.Tests.Mapping;

public sealed class NamespaceActorTests() : TestKit(ActorTestConfig.Hocon)
{
    private static readonly ObjectKey Canal = new("istio-system", "canal");
    private static readonly ObjectKey Reviews = new("default", "reviews");
    private static readonly ObjectKey Ratings = new("default", "ratings");
    private const string Host = "reviews.default.svc.cluster.local";

    // Claim versions are clock ticks (VersionStamp), which is what lets old tombstones expire.
    private static readonly long Base = DateTime.UtcNow.Ticks;

    private static UpdateClaim Claim(ObjectKey claimer, long version, params string[] hosts) =>
        new("default", new NamespaceClaim(claimer, Base + version, [Canal], hosts));

    private (IActorRef Actor, TestProbe DnsWriter) Start(string ns = "default")
    {
        var dnsWriter = CreateTestProbe();
        return (Sys.ActorOf(NamespaceActor.Props(ns, dnsWriter, TimeSpan.FromSeconds(3))), dnsWriter);
    }

    /// <summary>Plays the DnsWriter: registers the namespace if asked, accepts the next pushed set and returns it.</summary>
    private static NamespaceClaims AcceptPush(TestProbe dnsWriter)
    {
        var message = dnsWriter.ExpectMsg<object>();
        if (message is RegisterNamespace register)
        {
            dnsWriter.Reply(new NamespaceRegistered(register.Namespace));
            message = dnsWriter.ExpectMsg<object>();
        }
        var claims = Assert.IsType<NamespaceClaims>(message);
        dnsWriter.Reply(new NamespaceClaimsAccepted(claims.Namespace, claims.Version));
        return claims;
    }

    /// <summary>Plays the DnsWriter for a namespace's first claim: registers it and holds the first push unanswered.</summary>
    private static (NamespaceClaims Claims, IActorRef Sender) HoldFirstPush(TestProbe dnsWriter)
    {
        dnsWriter.ExpectMsg<RegisterNamespace>();
        dnsWriter.Reply(new NamespaceRegistered("default"));
        return (dnsWriter.ExpectMsg<NamespaceClaims>(), dnsWriter.LastSender);
    }

    [Fact]
    public void Registers_with_the_DnsWriter_before_storing_its_first_claim_and_acknowledges_only_once_the_DnsWriter_holds_it()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        Assert.Equal("default", dnsWriter.ExpectMsg<RegisterNamespace>().Namespace);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        dnsWriter.Reply(new NamespaceRegistered("default"));

        var pushed = dnsWriter.ExpectMsg<NamespaceClaims>();
        Assert.Equal([Host], pushed.Claims.Single().Hosts);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        dnsWriter.Reply(new NamespaceClaimsAccepted("default", pushed.Version));
        Assert.Equal(Reviews, ExpectMsg<ClaimAccepted>().Claimer);
    }

    [Fact]
    public void Two_VirtualServices_claiming_one_host_are_both_kept_until_both_release()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();
        actor.Tell(Claim(Ratings, 1, Host));
        Assert.Equal([Ratings, Reviews], AcceptPush(dnsWriter).Claims.Select(c => c.Claimer).Order());
        ExpectMsg<ClaimAccepted>();

        actor.Tell(Claim(Reviews, 2));
        var afterOne = AcceptPush(dnsWriter);
        Assert.Equal([Ratings], afterOne.Claims.Select(c => c.Claimer));
        Assert.Equal([Host], afterOne.Claims.Single().Hosts);
        ExpectMsg<ClaimAccepted>();

        actor.Tell(Claim(Ratings, 2));
        Assert.Empty(AcceptPush(dnsWriter).Claims);
        ExpectMsg<ClaimAccepted>();
    }

    [Fact]
    public void A_late_older_claim_does_not_undo_a_newer_one_and_duplicates_change_nothing()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 5, "new.default.svc.cluster.local"));
        var first = AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();

        actor.Tell(Claim(Reviews, 3, "old.default.svc.cluster.local"));
        actor.Tell(Claim(Reviews, 5, "new.default.svc.cluster.local"));
        ExpectMsg<ClaimAccepted>();
        ExpectMsg<ClaimAccepted>();
        dnsWriter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        actor.Tell(new ReportClaims("default"));
        var report = ExpectMsg<NamespaceClaims>();
        Assert.Equal(first.Version, report.Version);
        Assert.Equal(["new.default.svc.cluster.local"], report.Claims.Single().Hosts);
    }

    [Fact]
    public void A_release_followed_by_a_late_copy_of_the_old_claim_stays_released()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();
        actor.Tell(Claim(Reviews, 2));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();

        actor.Tell(Claim(Reviews, 1, Host));
        ExpectMsg<ClaimAccepted>();
        actor.Tell(new ReportClaims("default"));
        Assert.Empty(ExpectMsg<NamespaceClaims>().Claims);
    }

    [Fact]
    public void A_push_the_DnsWriter_did_not_accept_is_tried_again_with_the_newest_claims_and_the_claims_wait_for_it()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        HoldFirstPush(dnsWriter).Sender.Tell(new Status.Failure(new TimeoutException("the DnsWriter is moving")));
        actor.Tell(Claim(Ratings, 1, "ratings.default.svc.cluster.local"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // One retry carries both: what failed, and what came since.
        Assert.Equal([Ratings, Reviews], AcceptPush(dnsWriter).Claims.Select(c => c.Claimer).Order());
        Assert.Equal([Ratings, Reviews], ReceiveN(2).Cast<ClaimAccepted>().Select(a => a.Claimer).Order());
        dnsWriter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Changes_arriving_while_a_push_is_in_flight_ride_on_one_next_push()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        var (inFlight, sender) = HoldFirstPush(dnsWriter);

        for (var i = 0; i < 20; i++)
            actor.Tell(Claim(new ObjectKey("default", $"vs-{i}"), 1, $"svc-{i}.default.svc.cluster.local"));
        dnsWriter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        sender.Tell(new NamespaceClaimsAccepted("default", inFlight.Version), dnsWriter);

        var next = AcceptPush(dnsWriter);
        Assert.Equal(21, next.Claims.Count);
        ReceiveN(21).ToList().ForEach(m => Assert.IsType<ClaimAccepted>(m));
        dnsWriter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void ReleaseClaimers_drops_claims_of_VirtualServices_that_vanished()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();
        actor.Tell(Claim(Ratings, 1, "ratings.default.svc.cluster.local"));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();

        actor.Tell(new ReleaseClaimers("default", [Reviews, new ObjectKey("default", "unknown")], DateTime.UtcNow.Ticks + 1_000_000_000));
        Assert.Equal([Ratings], AcceptPush(dnsWriter).Claims.Select(c => c.Claimer));
        Assert.Equal(1, ExpectMsg<ClaimersReleased>().Released);
    }

    [Fact]
    public void After_a_restart_it_pushes_its_recovered_set_before_acknowledging()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor);

        var (revived, newWriter) = Start();
        revived.Tell(Claim(Reviews, 1, Host));
        var pushed = AcceptPush(newWriter);
        Assert.Equal([Host], pushed.Claims.Single().Hosts);
        ExpectMsg<ClaimAccepted>();
    }

    [Fact]
    public void Claims_arriving_together_are_all_acknowledged_and_all_recovered_after_a_restart()
    {
        var (actor, dnsWriter) = Start();
        var claimers = Enumerable.Range(0, 50).Select(i => new ObjectKey("default", $"vs-{i:D2}")).ToList();
        foreach (var claimer in claimers)
            actor.Tell(Claim(claimer, 1, $"{claimer.Name}.default.svc.cluster.local"));
        var accepted = new HashSet<ObjectKey>();
        for (var round = 0; accepted.Count < claimers.Count && round < 200; round++)
        {
            if (dnsWriter.HasMessages)
                AcceptPush(dnsWriter);
            accepted.UnionWith(ReceiveWhile(TimeSpan.FromMilliseconds(50), m => (ClaimAccepted)m).Select(a => a.Claimer));
        }
        Assert.Equal(claimers.Count, accepted.Count);
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor);

        var (revived, newWriter) = Start();
        revived.Tell(new ReportClaims("default"));
        Assert.Equal(claimers, ExpectMsg<NamespaceClaims>().Claims.Select(c => c.Claimer));
        newWriter.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_claim_asserted_again_unchanged_still_outranks_late_copies_older_than_it()
    {
        // A restart's listing asserts every claim again at a new version; nothing changes, yet the new version counts.
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();

        actor.Tell(Claim(Reviews, 3, Host));
        ExpectMsg<ClaimAccepted>();
        actor.Tell(Claim(Reviews, 2, "ratings.default.svc.cluster.local"));
        ExpectMsg<ClaimAccepted>();
        actor.Tell(new ReportClaims("default"));
        Assert.Equal([Host], ExpectMsg<NamespaceClaims>().Claims.Single().Hosts);
        dnsWriter.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_sweep_arriving_while_a_newer_claim_is_being_written_leaves_that_claim_alone()
    {
        var (actor, dnsWriter) = Start();
        actor.Tell(Claim(Reviews, 1, Host));
        AcceptPush(dnsWriter);
        ExpectMsg<ClaimAccepted>();

        // The sync began at 3; the claim made at 5 is still being written when the sweep's release comes.
        actor.Tell(Claim(Reviews, 5, Host, "ratings.default.svc.cluster.local"));
        actor.Tell(new ReleaseClaimers("default", [Reviews], Base + 3));
        var answers = new List<object>();
        for (var round = 0; answers.Count < 2 && round < 100; round++)
        {
            if (dnsWriter.HasMessages)
                AcceptPush(dnsWriter);
            answers.AddRange(ReceiveWhile(TimeSpan.FromMilliseconds(50), m => m));
        }
        Assert.Equal(0, Assert.Single(answers.OfType<ClaimersReleased>()).Released);
        actor.Tell(new ReportClaims("default"));
        Assert.Equal(2, ExpectMsg<NamespaceClaims>().Claims.Single().Hosts.Count);
    }
}
