using Canal.Istio;
using Canal.Node.Kubernetes;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Canal.Tests.KubernetesMode;

/// <summary>Events as controllers are meant to post them: once per change, counted up when an outcome returns, paced, never lost.</summary>
public sealed class VirtualServiceEventsTests
{
    private static readonly ObjectKey Gateway = new("istio-system", "canal");

    private static RedirectPlan Plan(ObjectKey vs, HostStatus status, params string[] hosts) =>
        new([], [.. hosts.Select(h => new HostDecision(h, status, status == HostStatus.Redirected ? "-> canal.istio-system.svc.cluster.local" : "not exported", Gateway, [vs]))]);

    private static IKubernetes Client(KubeApiServer server) => new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });

    private static int Requests(KubeApiServer server, string verb) => server.RequestLog.Count(r => r.Resource == "events" && r.Verb == verb && r.StatusCode < 300);

    [Fact]
    public async Task A_burst_for_one_VirtualService_waits_for_its_rate_limit_and_every_host_is_told_in_the_end()
    {
        await using var server = await KubeApiServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var events = new VirtualServiceEvents(Client(server), NullLogger.Instance, clock).Start();
        var vs = new ObjectKey("default", "many");
        var hosts = Enumerable.Range(0, VirtualServiceEvents.PerObjectBurst + 5).Select(i => $"svc-{i}.default.svc.cluster.local").ToArray();

        events.Observe(Plan(vs, HostStatus.Redirected, hosts));
        await Eventually.True(() => Requests(server, "create") == VirtualServiceEvents.PerObjectBurst, "the burst");

        clock.Advance(VirtualServiceEvents.PerObjectRefill);
        events.Observe(Plan(vs, HostStatus.Redirected, hosts));
        await Eventually.True(() => Requests(server, "create") == VirtualServiceEvents.PerObjectBurst + 1, "one more once a token refilled");

        clock.Advance(VirtualServiceEvents.PerObjectRefill * 4);
        events.Observe(Plan(vs, HostStatus.Redirected, hosts));
        await Eventually.True(() => Requests(server, "create") == hosts.Length, "the rest");
        var told = server.List("", "v1", "events", "default").Select(e => (string?)e["metadata"]?["annotations"]?[VirtualServiceEvents.HostAnnotation]);
        Assert.Equal(hosts.Order(), told.Order());
    }

    [Fact]
    public async Task An_outcome_that_returns_counts_up_its_Event_and_the_next_life_repeats_nothing()
    {
        await using var server = await KubeApiServer.StartAsync();
        var vs = new ObjectKey("default", "flip");
        const string host = "reviews.default.svc.cluster.local";
        using (var events = new VirtualServiceEvents(Client(server), NullLogger.Instance).Start())
        {
            events.Observe(Plan(vs, HostStatus.Redirected, host));
            await Eventually.True(() => Requests(server, "create") == 1, "Redirected");
            events.Observe(Plan(vs, HostStatus.Skipped, host));
            await Eventually.True(() => Requests(server, "create") == 2, "Skipped");
            events.Observe(Plan(vs, HostStatus.Redirected, host));
            await Eventually.True(() => Requests(server, "patch") == 1, "Redirected again, as a count");
        }
        var redirected = Assert.Single(server.List("", "v1", "events", "default"), e => (string?)e["reason"] == "Redirected");
        Assert.Equal(2, (int?)redirected["count"]);

        using var next = new VirtualServiceEvents(Client(server), NullLogger.Instance).Start();
        next.TookOver();
        next.Observe(Plan(vs, HostStatus.Redirected, host));
        next.Observe(Plan(new ObjectKey("default", "other"), HostStatus.Redirected, host));
        await Eventually.True(() => Requests(server, "create") == 3, "the other VirtualService's Event");
        Assert.Equal(1, Requests(server, "patch"));
    }

    [Fact]
    public async Task A_VirtualService_no_plan_names_any_more_is_forgotten_and_a_new_one_of_that_name_gets_its_own_Event()
    {
        await using var server = await KubeApiServer.StartAsync();
        using var events = new VirtualServiceEvents(Client(server), NullLogger.Instance).Start();
        var vs = new ObjectKey("default", "recreated");
        const string host = "reviews.default.svc.cluster.local";

        events.Observe(Plan(vs, HostStatus.Redirected, host));
        await Eventually.True(() => Requests(server, "create") == 1, "the first VirtualService's Event");
        events.Observe(Plan(new ObjectKey("default", "other"), HostStatus.Redirected, host));
        await Eventually.True(() => Requests(server, "create") == 2, "the other VirtualService's Event");
        events.Observe(Plan(vs, HostStatus.Redirected, host));

        await Eventually.True(() => Requests(server, "create") == 3, "an Event of its own for the VirtualService created again");
        Assert.Equal(0, Requests(server, "patch"));
    }

    [Fact]
    public async Task A_replica_that_takes_over_reads_back_what_the_one_before_posted_since_it_started()
    {
        await using var server = await KubeApiServer.StartAsync();
        var vs = new ObjectKey("default", "handed-over");
        const string host = "reviews.default.svc.cluster.local";
        // Both replicas run from the start; only the one with the DnsWriter gets plans, after its sync barrier.
        using var standby = new VirtualServiceEvents(Client(server), NullLogger.Instance).Start();
        using (var first = new VirtualServiceEvents(Client(server), NullLogger.Instance).Start())
        {
            first.Observe(Plan(vs, HostStatus.Redirected, host));
            await Eventually.True(() => Requests(server, "create") == 1, "the first replica's Event");
        }

        standby.TookOver();
        standby.Observe(Plan(vs, HostStatus.Redirected, host));
        standby.Observe(Plan(new ObjectKey("default", "other"), HostStatus.Redirected, host));
        await Eventually.True(() => Requests(server, "create") == 2, "the other VirtualService's Event, from the replica that took over");
        Assert.Equal(0, Requests(server, "patch"));
    }
}
