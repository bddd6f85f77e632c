using Akka.Actor;
using Akka.Hosting;
using Canal.Dns;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Node.Kubernetes;
using Canal.Node.Local;
using Canal.Node.Management;
using Canal.Node.Probing;
using Canal.Propagation;
using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Canal.Node.Hosting;

/// <summary>How a Canal node is put together: its options, its metrics, and the adapters of local or Kubernetes mode.</summary>
internal static class CanalServices
{
    /// <summary>
    /// Reads the "Canal" configuration section once, before the host is built (the web host's listener is configured
    /// while it is built), validates it, and registers that one instance. Throws <see cref="OptionsValidationException"/>
    /// (or the binder's InvalidOperationException for a value of the wrong type).
    /// </summary>
    public static CanalNodeOptions AddCanalOptions(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Canal").Get<CanalNodeOptions>() ?? new CanalNodeOptions();
        if (CanalNodeOptionsValidator.Problem(options) is { } problem)
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(CanalNodeOptions), [problem]);
        services.AddSingleton(options);
        return options;
    }

    public static IServiceCollection AddCanalMetrics(this IServiceCollection services)
    {
        services.AddSingleton<CanalMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(CanalMetrics.MeterName)
            // .NET's own: GC collections and pauses, CPU time, thread pool (dotnet_gc_collections, dotnet_process_cpu_time_seconds, …).
            .AddMeter("System.Runtime")
            // Prometheus's names as Canal has always exposed them: counters named in full, no scope labels, no cached answers.
            .AddPrometheusExporter(prometheus =>
            {
                prometheus.DisableTotalNameSuffixForCounters = true;
                prometheus.ScopeInfoEnabled = false;
                prometheus.TargetInfoEnabled = false;
                prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        return services;
    }

    /// <summary>Local mode: a directory of manifests, a Corefile on disk.</summary>
    public static IServiceCollection AddCanalLocal(this IServiceCollection services) => services.AddCanal(
        (_, options) => new CorefileFileStore(options.Corefile, options.Redirects().ClusterDomain),
        (provider, options) => new WarmSource(_ => new LocalDirectorySource(options.Manifests, options.Corefile, Logger(provider))),
        (_, options) => options.DnsProbeReplicas() is { Count: > 0 } replicas
            ? new DnsClientReplicas(string.Join(", ", options.DnsProbe), _ => Task.FromResult(replicas))
            : null,
        start: null);

    /// <summary>Kubernetes mode: the API server's objects, CoreDNS's ConfigMap, Events on VirtualServices, cluster bootstrap through the pods API.</summary>
    public static IServiceCollection AddCanalKubernetes(this IServiceCollection services)
    {
        services.AddSingleton<IKubernetes>(provider =>
        {
            var options = Options(provider);
            return KubernetesConnection.Create(options.Kubeconfig, options.Context, new ApiRefusals(Logger(provider)));
        });
        // Owned by the host, so it is disposed (its posting loop stopped) when the host stops; made only when Events are on.
        services.AddSingleton(provider => new VirtualServiceEvents(provider.GetRequiredService<IKubernetes>(), Logger(provider)).Start());
        return services.AddCanal(
            (provider, options) =>
            {
                return ConfigMapStore.For(provider.GetRequiredService<IKubernetes>(), KubeSettings(options), options.Mode, Logger(provider));
            },
            (provider, options) =>
            {
                var (client, kube, events) = (provider.GetRequiredService<IKubernetes>(), KubeSettings(options), Events(provider, options));
                return new WarmSource(invalid => new KubernetesSource(client, kube, StoreName(options), Logger(provider), invalid), events == null ? null : events.Invalid);
            },
            (provider, options) =>
            {
                if (options.DnsServiceKey() is not { } service)
                    return null;
                var client = provider.GetRequiredService<IKubernetes>();
                return new DnsClientReplicas(options.DnsService, ct => KubeDnsEndpoints.ListAsync(client, service.Namespace, service.Name, ct));
            },
            (provider, options, system) =>
            {
                if (Events(provider, options) is { } events)
                {
                    var planEvents = system.ActorOf(Props.Create(() => new PlanEvents(events)), "plan-events");
                    system.EventStream.Subscribe(planEvents, typeof(SyncBarrierPassed));
                    system.EventStream.Subscribe(planEvents, typeof(PlanApplied));
                    var client = provider.GetRequiredService<IKubernetes>();
                    var store = new ObjectKey(options.CoreDnsNamespace, StoreName(options));
                    system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new CoreDnsEvents(client, store, Logger(provider))), "coredns-events"), typeof(WriteNotLive));
                }
                if (options.NudgeCorednsPods && options.DnsServiceKey() is { } dnsService)
                {
                    var nudge = system.ActorOf(Props.Create(() => new CoreDnsNudge(provider.GetRequiredService<IKubernetes>(), dnsService, StoreName(options), Logger(provider))), "coredns-nudge");
                    system.EventStream.Subscribe(nudge, typeof(CorefileWritten));
                }
                if (options.Bootstrap.Enabled)
                    PodSeeds.Join(system, options.Bootstrap, provider.GetRequiredService<IKubernetes>(), Logger(provider));
            });
    }

    /// <summary>The ConfigMap Canal writes in Kubernetes mode.</summary>
    public static string StoreName(CanalNodeOptions options) => KubeSettings(options).StoreConfigMap(options.Mode);

    public static KubernetesSettings KubeSettings(CanalNodeOptions options) => new()
    {
        Namespaces = options.Namespaces,
        GatewayNamespaces = KubernetesSettings.GatewayScope(options.GatewayNamespaces),
        CoreDnsNamespace = options.CoreDnsNamespace,
        CoreDnsConfigMap = options.CoreDnsConfigMap,
        Resync = options.Resync,
    };

    public static ILogger Logger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger("Canal");

    private static CanalNodeOptions Options(IServiceProvider provider) => provider.GetRequiredService<CanalNodeOptions>();

    private static VirtualServiceEvents? Events(IServiceProvider provider, CanalNodeOptions options) =>
        options.Events ? provider.GetRequiredService<VirtualServiceEvents>() : null;

    private static IServiceCollection AddCanal(
        this IServiceCollection services,
        Func<IServiceProvider, CanalNodeOptions, IDnsConfigStore> store,
        Func<IServiceProvider, CanalNodeOptions, WarmSource> source,
        Func<IServiceProvider, CanalNodeOptions, ICoreDnsReplicas?> replicas,
        Action<IServiceProvider, CanalNodeOptions, ActorSystem>? start)
    {
        services.AddSingleton(provider => store(provider, Options(provider)));
        // Started as the actor system is being built, so the listing runs while the node joins its cluster; the host disposes it.
        services.AddSingleton(provider =>
        {
            var warm = source(provider, Options(provider));
            warm.Start();
            return warm;
        });
        services.AddAkka(CanalAkka.SystemName, (akka, provider) =>
        {
            var options = Options(provider);
            akka.WithCanal(options, CanalAkka.WriterSettings(options), provider.GetRequiredService<IDnsConfigStore>(),
                provider.GetRequiredService<WarmSource>().Attach, replicas(provider, options), system => start?.Invoke(provider, options, system));
        });
        return services;
    }
}
