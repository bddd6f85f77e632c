using System.Reflection;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Canal.Contracts;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Node.Hosting;
using static Canal.Node.Management.ManagementViews;
using Canal.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Canal.Node.Management;

/// <summary>
/// The JSON API <c>canal-cmd</c> talks to, and the probes' health endpoints. Every answer comes from the
/// actors that own the state (asked, never cached here) and leaves as one of the types of Canal.Contracts, the
/// API's contract; an unknown object is a 404 with a message.
/// </summary>
internal static class ManagementApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static string Version { get; } =
        typeof(ManagementApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static void Map(WebApplication app, ManagementAccess access)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api") && access.Refusal(context.Request) is { } refusal)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsJsonAsync(new ErrorAnswer(refusal), ManagementJson.Options);
                return;
            }
            await next(context);
        });

        var system = app.Services.GetRequiredService<ActorSystem>();
        var registry = app.Services.GetRequiredService<ActorRegistry>();
        var cluster = Cluster.Get(system);
        var api = app.MapGroup("/api");

        api.MapGet("/version", () => new VersionInfo(Version));
        MapCluster(api, system, cluster);
        MapSharding(api, system);
        api.MapGet("/actors", async (string? path, int? depth) => View(await ActorHierarchy.Walk(system, path ?? "/user", Math.Clamp(depth ?? 2, 1, 10))));
        MapCanal(api, registry);
        MapHealth(app, cluster, registry);
    }

    private static void MapCluster(RouteGroupBuilder api, ActorSystem system, Cluster cluster)
    {
        api.MapGet("/cluster", () =>
        {
            var state = cluster.State;
            return new ClusterView(
                cluster.SelfAddress.ToString(),
                state.Leader?.ToString(),
                [.. state.Members.Select(m => new MemberView(m.Address.ToString(), m.Status.ToString(), [.. m.Roles.Order()]))],
                [.. state.Unreachable.Select(m => m.Address.ToString())]);
        });
        api.MapPost("/cluster/leave", (MemberRequest request) => Membership(cluster, request.Address, "leaving", cluster.Leave));
        api.MapPost("/cluster/down", (MemberRequest request) => Membership(cluster, request.Address, "downed", cluster.Down));
        api.MapGet("/cluster/tail", async (HttpContext context) =>
        {
            var lines = Channel.CreateBounded<string>(1_000);
            var tail = system.ActorOf(Props.Create(() => new ClusterTail(lines.Writer)));
            try
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                await foreach (var line in lines.Reader.ReadAllAsync(context.RequestAborted))
                {
                    await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                tail.Tell(PoisonPill.Instance);
            }
        });
    }

    private static IResult Membership(Cluster cluster, string? address, string verb, Action<Address> act)
    {
        var member = cluster.State.Members.FirstOrDefault(m => m.Address.ToString() == address);
        if (member == null)
            return Results.NotFound(new ErrorAnswer($"{address} is not a member of this cluster (canal-cmd cluster show lists them)"));
        act(member.Address);
        return Results.Accepted(value: new MessageAnswer($"{member.Address} is being {verb}"));
    }

    private static void MapSharding(RouteGroupBuilder api, ActorSystem system)
    {
        var sharding = ClusterSharding.Get(system);
        api.MapGet("/sharding/regions", async () =>
        {
            var regions = new List<ShardRegionView>();
            foreach (var type in sharding.ShardTypeNames.Order())
            {
                var stats = await sharding.ShardRegion(type).Ask<ClusterShardingStats>(new GetClusterShardingStats(AskTimeout), AskTimeout);
                var shards = stats.Regions.Values.SelectMany(r => r.Stats).ToList();
                regions.Add(new ShardRegionView(type, stats.Regions.Count, shards.Count, shards.Sum(s => s.Value)));
            }
            return regions;
        });
        api.MapGet("/sharding/{type}/region-stats", async (string type) => sharding.ShardTypeNames.Contains(type)
            ? Results.Ok(new RegionStatsView((await sharding.ShardRegion(type).Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout)).Stats.ToDictionary()))
            : UnknownRegion(sharding, type));
        api.MapGet("/sharding/{type}/shard-stats", async (string type) => sharding.ShardTypeNames.Contains(type)
            ? Results.Ok(new ShardStatsView((await sharding.ShardRegion(type).Ask<ClusterShardingStats>(new GetClusterShardingStats(AskTimeout), AskTimeout))
                .Regions.ToDictionary(r => r.Key.ToString(), r => (IReadOnlyDictionary<string, int>)r.Value.Stats.ToDictionary())))
            : UnknownRegion(sharding, type));
    }

    private static IResult UnknownRegion(ClusterSharding sharding, string type) =>
        Results.NotFound(new ErrorAnswer($"no shard region {type}; the regions are {string.Join(", ", sharding.ShardTypeNames.Order())}"));

    private static void MapCanal(RouteGroupBuilder api, ActorRegistry registry)
    {
        Task<T> Ask<TKey, T>(object message) => registry.Get<TKey>().Ask<T>(message, AskTimeout);

        api.MapGet("/virtualservices", async (string? @namespace) =>
            (await Ask<SourceSingleton, SourceStatus>(GetSourceStatus.Instance)).VirtualServices
                .Where(v => @namespace == null || v.Key.Namespace == @namespace)
                .Select(v => new VirtualServiceSummaryView(v.Key.ToString(), v.Gateways, v.Destinations))
                .ToList());
        api.MapGet("/virtualservices/{ns}/{name}", async (string ns, string name) =>
        {
            var key = new ObjectKey(ns, name);
            return await Ask<SourceSingleton, ICanalMessage>(new GetVirtualServiceState(key)) is VirtualServiceState state
                ? Results.Ok(View(state))
                : Results.NotFound(new ErrorAnswer($"no VirtualService {key} is known (canal-cmd canal vs list shows them)"));
        });
        api.MapGet("/namespaces", async () => (await Ask<DnsWriterSingleton, NamespaceSummaries>(GetNamespaceSummaries.Instance)).Namespaces
            .Select(n => new NamespaceSummaryView(n.Namespace, n.Claimers, n.Hosts, n.Version))
            .ToList());
        api.MapGet("/namespaces/{ns}", async (string ns) =>
        {
            var known = (await Ask<DnsWriterSingleton, NamespaceSummaries>(GetNamespaceSummaries.Instance)).Namespaces.Any(n => n.Namespace == ns);
            return known
                ? Results.Ok(View(await Ask<NamespaceRegion, NamespaceClaims>(new ReportClaims(ns))))
                : Results.NotFound(new ErrorAnswer($"no VirtualService claims a host in namespace {ns} (canal-cmd canal ns list shows those that do)"));
        });
        api.MapGet("/hosts", async () =>
        {
            var hosts = await Ask<DnsWriterSingleton, HostDecisions>(GetHostDecisions.Instance);
            return hosts.Decisions.Select(d => View(d, hosts)).ToList();
        });
        api.MapGet("/hosts/{host}", async (string host) =>
        {
            var hosts = await Ask<DnsWriterSingleton, HostDecisions>(GetHostDecisions.Instance);
            var name = host.TrimEnd('.').ToLowerInvariant();
            return hosts.Decisions.FirstOrDefault(d => d.Host == name) is { } decision
                ? Results.Ok(View(decision, hosts))
                : Results.NotFound(new ErrorAnswer($"no VirtualService or route names {host} (write it in full, as canal-cmd canal hosts shows it)"));
        });
        api.MapGet("/gateways", async () => (await Ask<DnsWriterSingleton, CanalGatewayList>(GetCanalGateways.Instance)).Gateways
            .Select(g => new GatewayView(g.Gateway.ToString(), g.Selector, g.Ports, g.Service.ToString(), g.ServiceFqdn, g.ClusterIPs, g.ReadyEndpoints, g.Withdrawn))
            .ToList());
        api.MapGet("/dns", async () => View(await Ask<DnsWriterSingleton, DnsWriterStatus>(GetDnsWriterStatus.Instance)));
        api.MapGet("/dns/diff", async () =>
        {
            var diff = await Ask<DnsWriterSingleton, DnsDiff>(GetDnsDiff.Instance);
            return new DnsDiffView(diff.Current, diff.Wanted, diff.Error);
        });
        api.MapPost("/dns/restore", async () =>
        {
            var restored = await Ask<DnsWriterSingleton, BackupRestored>(RestoreBackup.Instance);
            return new RestoreAnswer(restored.Restored, restored.Message);
        });
        api.MapPost("/dns/resume", async () =>
        {
            await Ask<DnsWriterSingleton, WritesResumed>(ResumeWrites.Instance);
            return new MessageAnswer("writing resumed");
        });
    }

    private static void MapHealth(WebApplication app, Cluster cluster, ActorRegistry registry)
    {
        bool Up() => cluster.SelfMember.Status == MemberStatus.Up;
        var metrics = app.Services.GetRequiredService<CanalMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: scrape => scrape.Use(async (context, next) =>
        {
            // Always the classic text format: OpenMetrics would append _total to a counter such as canal_dns_write_latency_seconds_sum.
            context.Request.Headers.Accept = "text/plain";
            await metrics.Refresh();
            await next(context);
        }), optionsName: null);
        app.MapGet("/health/live", () => Results.Ok(new { status = "alive" }));
        app.MapGet("/health/startup", () => Up() ? Results.Ok(new { status = "up" }) : Results.Json(new { status = cluster.SelfMember.Status.ToString() }, statusCode: 503));
        app.MapGet("/health/ready", async () =>
        {
            if (!Up())
                return Results.Json(new { status = cluster.SelfMember.Status.ToString() }, statusCode: 503);
            // The oldest member hosts the singletons: it is ready once the DnsWriter's sync barrier has passed.
            var oldest = cluster.State.Members.Where(m => m.Status == MemberStatus.Up).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();
            if (oldest?.Address != cluster.SelfAddress)
                return Results.Ok(new { status = "up" });
            try
            {
                var status = await registry.Get<DnsWriterSingleton>().Ask<DnsWriterStatus>(GetDnsWriterStatus.Instance, TimeSpan.FromSeconds(3));
                return status.Phase == SyncPhase.Ready
                    ? Results.Ok(new { status = "ready" })
                    : Results.Json(new { status = $"sync barrier: {status.Phase}" }, statusCode: 503);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                return Results.Json(new { status = "the DnsWriter does not answer" }, statusCode: 503);
            }
        });
    }

}
