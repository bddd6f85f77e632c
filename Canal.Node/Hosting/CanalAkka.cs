using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Pattern;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Node.Management;
using Canal.Propagation;
using Canal.Serialization;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Hosting;

/// <summary>Composes a Canal node: remoting and cluster, SQL persistence, the two shard regions and the two singletons.</summary>
internal static class CanalAkka
{
    public const string SystemName = "canal";

    /// <summary>
    /// Each hop waits longer than the one it waits on (namespace → DnsWriter 2 s, VirtualService → namespace 4 s,
    /// source → VirtualService 6 s), so an inner retry can still answer before the outer ask gives up; all are
    /// short because a message can be lost while shards move (a rolling restart), and every hop retries.
    /// </summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(4);

    /// <param name="source">Where objects come from (a manifest directory, the Kubernetes API); run by the source singleton.</param>
    /// <param name="replicas">The CoreDNS replicas each write is confirmed in; null: not confirmed.</param>
    public static AkkaConfigurationBuilder WithCanal(
        this AkkaConfigurationBuilder builder,
        CanalNodeOptions options,
        DnsWriterSettings settings,
        IDnsConfigStore store,
        Func<IObjectSource> source,
        ICoreDnsReplicas? replicas = null,
        Action<ActorSystem>? start = null)
    {
        var shardOptions = new ShardOptions { StateStoreMode = StateStoreMode.DData, RememberEntities = false };
        var singletonOptions = new ClusterSingletonOptions { LogSingletonIdentificationFailure = false };

        builder
            .ConfigureLoggers(l =>
            {
                l.ClearLoggers();
                l.AddLoggerFactory();
            })
            .WithRemoting(options.Host, options.Port)
            .WithClustering(new ClusterOptions
            {
                SeedNodes = [.. options.SeedNodes],
                SplitBrainResolver = new KeepMajorityOption(),
                FailureDetector = new PhiAccrualFailureDetectorOptions
                {
                    HeartbeatInterval = TimeSpan.FromSeconds(1),
                    AcceptableHeartbeatPause = TimeSpan.FromSeconds(3),
                },
            })
            // Akka's defaults resume a killed node's work after ~48 s. With these a kill -9 is noticed in ~3-4 s,
            // the split brain resolver decides 5 s after the cluster is stable, and the removal margin adds 1 s:
            // the singletons and entities are back in ~10-12 s. The price: a node starved of CPU for over 3 s
            // can be judged unreachable and downed (it then restarts and rejoins). README: "Running several replicas".
            // Leaving is paced by the leader's actions and the singletons' hand-over retries (1 s each by default):
            // a SIGTERM took 1.1 s for a single node, 0.3 s with these; the hand-over still waits 75 × 200 ms = 15 s
            // for an old oldest that does not answer, as by default.
            .AddHocon(ConfigurationFactory.ParseString("""
                akka.cluster.split-brain-resolver.stable-after = 5s
                akka.cluster.periodic-tasks-initial-delay = 100ms
                akka.cluster.leader-actions-interval = 200ms
                akka.cluster.singleton.hand-over-retry-interval = 200ms
                akka.cluster.singleton.min-number-of-hand-over-retries = 75
                akka.cluster.down-removal-margin = 1s
                akka.remote.dot-netty.tcp.maximum-frame-size = 8MiB
                akka.remote.dot-netty.tcp.send-buffer-size = 16MiB
                akka.remote.dot-netty.tcp.receive-buffer-size = 16MiB
                """), HoconAddMode.Prepend)
            .WithPersistence(options)
            .WithCustomSerializer("canal", [typeof(ICanalMessage)], system => new CanalSerializer(system))
            .WithShardRegion<VirtualServiceRegion>(VirtualServiceMessageExtractor.TypeName,
                (_, registry, _) => entityId => VirtualServiceActor.Props(entityId, registry.Get<NamespaceRegion>(), settings.Redirects, AskTimeout),
                // A VirtualService actor is needed only while its object changes: its claims are stored by the namespaces.
                // They passivate themselves once delivered, which bounds how many live at once: a cold sync of 100k
                // takes ~17 s, and with a 10 s idle timeout nearly all of them lived through it (peak 1,013 MB).
                new VirtualServiceMessageExtractor(), new ShardOptions
                {
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                    // A backstop: entities passivate themselves once delivered; an idle one must outlive its asks.
                    PassivateIdleEntityAfter = AskTimeout * 3,
                })
            .WithShardRegion<NamespaceRegion>(NamespaceMessageExtractor.TypeName,
                (_, registry, _) => entityId => NamespaceActor.Props(entityId, registry.Get<DnsWriterSingleton>(), AskTimeout / 2),
                new NamespaceMessageExtractor(), shardOptions)
            .WithSingleton<SourceSingleton>("source",
                (_, registry, _) => Restarting("source", SourceActor.Props(source, registry.Get<VirtualServiceRegion>(), registry.Get<NamespaceRegion>(), settings.Redirects, "/user/dns-writer-proxy", AskTimeout * 1.5)),
                singletonOptions, createProxyToo: true)
            .WithSingleton<DnsWriterSingleton>("dns-writer",
                (_, registry, _) => Restarting("dns-writer", DnsWriterActor.Props(store, registry.Get<SourceSingleton>(), registry.Get<NamespaceRegion>(), registry.Get<VirtualServiceRegion>(), settings, TimeProvider.System, replicas)),
                singletonOptions, createProxyToo: true);

        builder.WithActors((system, _, resolver) =>
        {
            var logger = resolver.GetService<ILoggerFactory>().CreateLogger("Canal");
            system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new ChangeLog(logger)), "change-log"), typeof(DnsWriterNotice));
            var propagation = system.ActorOf(Props.Create(() => new PropagationMetrics()), "propagation-metrics");
            system.EventStream.Subscribe(propagation, typeof(WriteLive));
            system.EventStream.Subscribe(propagation, typeof(WriteNotLive));
            start?.Invoke(system);
        });
        if (!options.Bootstrap.Enabled && options.SeedNodes.Count == 0)
        {
            // Without seed nodes a node never becomes Up: a lone node forms its own cluster.
            builder.AddStartup((system, _) => Cluster.Get(system).Join(Cluster.Get(system).SelfAddress));
        }
        return builder;
    }

    /// <summary>
    /// A persistent actor stops when its journal fails (a database blip), and a cluster singleton that stops is
    /// never started again: a backoff supervisor brings it back.
    /// </summary>
    private static Props Restarting(string name, Props props) =>
        BackoffSupervisor.Props(Backoff.OnStop(props, name, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, maxNrOfRetries: -1));

    private static AkkaConfigurationBuilder WithPersistence(this AkkaConfigurationBuilder builder, CanalNodeOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Postgres))
            return builder.WithSqlPersistence(options.Postgres, ProviderName.PostgreSQL15, autoInitialize: true);
        Directory.CreateDirectory(options.Data);
        var database = Path.GetFullPath(Path.Combine(options.Data, "canal.db"));
        // SQLite has one writer at a time, and Microsoft.Data.Sqlite answers a busy database by sleeping 150 ms.
        // By default every read (each entity's recovery) began an IMMEDIATE transaction, taking the write lock, and
        // the journal wrote on three connections: persists queued behind each other's sleeps. Reads now begin deferred
        // transactions, WAL (kept in the file) lets them run beside the one writer, and the journal writes on one
        // connection, batching what arrives meanwhile: a cold sync of 10k VirtualServices went from 80 s to 11 s.
        using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            connection.Open();
            using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }
        return builder
            .AddHocon("""
                akka.persistence.journal.sql { parallelism = 1, batch-size = 1000, max-row-by-row-size = 1, read-isolation-level = read-uncommitted }
                akka.persistence.snapshot-store.sql.read-isolation-level = read-uncommitted
                akka.persistence.query.journal.sql.read-isolation-level = read-uncommitted
                """, HoconAddMode.Prepend)
            .WithSqlPersistence($"Data Source={database}", ProviderName.SQLiteMS, autoInitialize: true);
    }

    public static DnsWriterSettings WriterSettings(CanalNodeOptions options) => new()
    {
        Mode = options.Mode,
        Redirects = options.Redirects(),
        Debounce = options.Debounce,
        MaxDelay = options.MaxDelay,
        ReadinessGrace = options.ReadinessGrace,
        Propagation = new PropagationSettings { Deadline = options.PropagationDeadline },
    };
}
