using System.Reflection;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Canal.Node.Management;

/// <summary>
/// The JSON API <c>canal-cmd</c> talks to, and the probes' health endpoints. Every answer comes from the
/// actors that own the state (asked, never cached here); an unknown object is a 404 with a message.
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
                await context.Response.WriteAsJsonAsync(new { error = refusal });
                return;
            }
            await next(context);
        });

        var system = app.Services.GetRequiredService<ActorSystem>();
        var registry = app.Services.GetRequiredService<ActorRegistry>();
        var cluster = Cluster.Get(system);
        var api = app.MapGroup("/api");

        api.MapGet("/version", () => new { version = Version });
        MapCluster(api, system, cluster);
        MapSharding(api, system);
        api.MapGet("/actors", async (string? path, int? depth) => await ActorHierarchy.Walk(system, path ?? "/user", Math.Clamp(depth ?? 2, 1, 10)));
        MapCanal(api, registry);
        MapHealth(app, cluster, registry);
    }

    private static void MapCluster(RouteGroupBuilder api, ActorSystem system, Cluster cluster)
    {
        api.MapGet("/cluster", () =>
        {
            var state = cluster.State;
            return new
            {
                self = cluster.SelfAddress.ToString(),
                leader = state.Leader?.ToString(),
                members = state.Members.Select(m => new { address = m.Address.ToString(), status = m.Status.ToString(), roles = m.Roles.Order().ToList() }),
                unreachable = state.Unreachable.Select(m => m.Address.ToString()),
            };
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
            return Results.NotFound(new { error = $"{address} is not a member of this cluster (canal-cmd cluster show lists them)" });
        act(member.Address);
        return Results.Accepted(value: new { message = $"{member.Address} is being {verb}" });
    }

    private static void MapSharding(RouteGroupBuilder api, ActorSystem system)
    {
        var sharding = ClusterSharding.Get(system);
        api.MapGet("/sharding/regions", async () =>
        {
            var regions = new List<object>();
            foreach (var type in sharding.ShardTypeNames.Order())
            {
                var stats = await sharding.ShardRegion(type).Ask<ClusterShardingStats>(new GetClusterShardingStats(AskTimeout), AskTimeout);
                var shards = stats.Regions.Values.SelectMany(r => r.Stats).ToList();
                regions.Add(new { type, nodes = stats.Regions.Count, shards = shards.Count, entities = shards.Sum(s => s.Value) });
            }
            return regions;
        });
        api.MapGet("/sharding/{type}/region-stats", async (string type) => sharding.ShardTypeNames.Contains(type)
            ? Results.Ok((await sharding.ShardRegion(type).Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout)).Stats)
            : UnknownRegion(sharding, type));
        api.MapGet("/sharding/{type}/shard-stats", async (string type) => sharding.ShardTypeNames.Contains(type)
            ? Results.Ok((await sharding.ShardRegion(type).Ask<ClusterShardingStats>(new GetClusterShardingStats(AskTimeout), AskTimeout))
                .Regions.ToDictionary(r => r.Key.ToString(), r => r.Value.Stats))
            : UnknownRegion(sharding, type));
    }

    private static IResult UnknownRegion(ClusterSharding sharding, string type) =>
        Results.NotFound(new { error = $"no shard region {type}; the regions are {string.Join(", ", sharding.ShardTypeNames.Order())}" });

    private static void MapCanal(RouteGroupBuilder api, ActorRegistry registry)
    {
        Task<T> Ask<TKey, T>(object message) => registry.Get<TKey>().Ask<T>(message, AskTimeout);

        api.MapGet("/virtualservices", async (string? @namespace) =>
            (await Ask<SourceSingleton, SourceStatus>(GetSourceStatus.Instance)).VirtualServices
                .Where(v => @namespace == null || v.Key.Namespace == @namespace));
        api.MapGet("/virtualservices/{ns}/{name}", async (string ns, string name) =>
        {
            var key = new ObjectKey(ns, name);
            var state = await Ask<VirtualServiceRegion, VirtualServiceState>(new GetVirtualServiceState(key));
            var known = (await Ask<SourceSingleton, SourceStatus>(GetSourceStatus.Instance)).VirtualServices.Any(v => v.Key == key);
            return known || state.SequenceNr > 0
                ? Results.Ok(state)
                : Results.NotFound(new { error = $"no VirtualService {key} is known (canal-cmd canal vs list shows them)" });
        });
        api.MapGet("/namespaces", async () => (await Ask<DnsWriterSingleton, NamespaceSummaries>(GetNamespaceSummaries.Instance)).Namespaces);
        api.MapGet("/namespaces/{ns}", async (string ns) =>
        {
            var known = (await Ask<DnsWriterSingleton, NamespaceSummaries>(GetNamespaceSummaries.Instance)).Namespaces.Any(n => n.Namespace == ns);
            return known
                ? Results.Ok(await Ask<NamespaceRegion, NamespaceClaims>(new ReportClaims(ns)))
                : Results.NotFound(new { error = $"no VirtualService claims a host in namespace {ns} (canal-cmd canal ns list shows those that do)" });
        });
        api.MapGet("/hosts", async () => (await Ask<DnsWriterSingleton, HostDecisions>(GetHostDecisions.Instance)).Decisions);
        api.MapGet("/gateways", async () => (await Ask<DnsWriterSingleton, CanalGatewayList>(GetCanalGateways.Instance)).Gateways);
        api.MapGet("/dns", () => Ask<DnsWriterSingleton, DnsWriterStatus>(GetDnsWriterStatus.Instance));
        api.MapGet("/dns/diff", () => Ask<DnsWriterSingleton, DnsDiff>(GetDnsDiff.Instance));
        api.MapPost("/dns/restore", () => Ask<DnsWriterSingleton, BackupRestored>(RestoreBackup.Instance));
        api.MapPost("/dns/resume", async () =>
        {
            await Ask<DnsWriterSingleton, WritesResumed>(ResumeWrites.Instance);
            return new { message = "writing resumed" };
        });
    }

    private static void MapHealth(WebApplication app, Cluster cluster, ActorRegistry registry)
    {
        bool Up() => cluster.SelfMember.Status == MemberStatus.Up;
        app.MapGet("/metrics", async () => Results.Text(await Metrics.Render(app.Services.GetRequiredService<ActorSystem>(), registry), "text/plain; version=0.0.4"));
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

    private sealed record MemberRequest(string? Address);
}
