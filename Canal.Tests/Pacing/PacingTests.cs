using Canal.Istio;
using Canal.Pacing;

namespace Canal.Tests.Pacing;

public sealed class PacingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void A_burst_is_due_after_its_quiet_time_but_never_later_than_the_max_delay_after_its_first_change()
    {
        var debounce = new Debounce(200 * Ms, 1000 * Ms);
        Assert.Equal(200 * Ms, debounce.Changed(T0));
        Assert.Equal(200 * Ms, debounce.Changed(T0 + 500 * Ms));
        Assert.Equal(100 * Ms, debounce.Changed(T0 + 900 * Ms));
        Assert.Equal(TimeSpan.Zero, debounce.Changed(T0 + 1200 * Ms));
        Assert.Equal(T0, debounce.Take());
        Assert.Null(debounce.FirstChange);
        Assert.Equal(200 * Ms, debounce.Changed(T0 + 1300 * Ms));
        Assert.Equal(T0 + 1300 * Ms, debounce.FirstChange);
    }

    [Fact]
    public void Backoff_doubles_up_to_its_maximum_and_starts_over_after_a_success()
    {
        var backoff = new Backoff(100 * Ms, 1000 * Ms);
        Assert.Equal([100 * Ms, 200 * Ms, 400 * Ms, 800 * Ms, 1000 * Ms, 1000 * Ms], Enumerable.Range(0, 6).Select(_ => backoff.Next()));
        backoff.Reset();
        Assert.Equal(100 * Ms, backoff.Next());
    }

    [Fact]
    public void Jittered_backoff_waits_between_half_and_all_of_the_delay()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), new Random(7));
        Assert.All(Enumerable.Range(0, 50).Select(_ => backoff.Next()), d => Assert.InRange(d, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_gateway_is_withdrawn_only_once_its_Service_has_had_no_ready_endpoint_for_the_whole_grace_period_and_restored_when_one_is_back()
    {
        var gateway = new Gateway(new ObjectKey("istio-system", "canal"), new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new GatewayServer(80, "HTTP", ["*"])]);
        var service = new ClusterService(new ObjectKey("istio-system", "canal"), new Dictionary<string, string> { ["app"] = "canal-gateway" }, [new ServicePort(80, "http", null)], ["10.0.0.9"]);
        var gateways = CanalGateway.Find([gateway], [service], new RedirectOptions());
        var readiness = new GatewayReadiness(TimeSpan.FromSeconds(30));

        Assert.True(readiness.Observe(service with { ReadyEndpoints = 0 }, T0));
        Assert.False(readiness.Observe(service with { ReadyEndpoints = 0 }, T0 + TimeSpan.FromSeconds(10)));
        Assert.Empty(readiness.WithdrawnAt(gateways, T0 + TimeSpan.FromSeconds(29)));
        Assert.Equal([gateway.Key], readiness.WithdrawnAt(gateways, T0 + TimeSpan.FromSeconds(30)));
        Assert.Empty(readiness.Withdrawn);

        var (withdrawnNow, restoredNow) = readiness.Settle(gateways, T0 + TimeSpan.FromSeconds(30));
        Assert.Equal([gateway.Key], withdrawnNow);
        Assert.Empty(restoredNow);
        Assert.Equal([gateway.Key], readiness.Withdrawn);

        readiness.Observe(service with { ReadyEndpoints = 2 }, T0 + TimeSpan.FromSeconds(40));
        var (withdrawn, restored) = readiness.Settle(gateways, T0 + TimeSpan.FromSeconds(40));
        Assert.Empty(withdrawn);
        Assert.Equal([gateway.Key], restored);
        Assert.Empty(readiness.Withdrawn);
    }
}
