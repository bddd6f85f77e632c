using System.CommandLine;
using Akka.Hosting;
using Canal.Contracts;
using Canal.Dns;
using Canal.Istio;
using Canal.Node.Hosting;
using Canal.DnsWriter;
using Canal.Node.Kubernetes;
using Canal.Node.Local;
using Canal.Node.Management;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Canal.Node;

/// <summary>
/// <c>canal run</c>: the controller. In local mode the source is a directory of manifests and the store a
/// Corefile on disk; it runs until Ctrl+C or SIGTERM. Settings come from appsettings.json, environment
/// variables (<c>Canal__Mode=hosts</c>) and the flags, each overriding the one before.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var manifests = new Option<string>("--manifests") { Description = "Local mode: directory of VirtualService, Gateway and Service manifests to watch." };
        var corefile = new Option<string>("--corefile") { Description = "Local mode: the Corefile to keep up to date (created from a kubeadm default when missing)." };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubernetes mode (the default without --manifests): kubeconfig to use (default: in-cluster service account, else ~/.kube/config)." };
        var context = new Option<string>("--context") { Description = "Kubernetes mode: kubeconfig context (default: the current one)." };
        var namespaces = new Option<string[]>("--namespace") { Description = "Kubernetes mode: watch VirtualServices only in this namespace (repeatable; default all)." };
        var gatewayNamespaces = new Option<string[]>("--gateway-namespace") { Description = "Kubernetes mode: namespace of canal Gateways (repeatable; default istio-system; * for all)." };
        var coreDnsNamespace = new Option<string>("--coredns-namespace") { Description = "Kubernetes mode: namespace of CoreDNS's ConfigMap (default kube-system)." };
        var coreDnsConfigMap = new Option<string>("--coredns-configmap") { Description = "Kubernetes mode: name of CoreDNS's ConfigMap (default coredns)." };
        var events = new Option<bool?>("--events") { Description = "Kubernetes mode: post Events on VirtualServices saying what happened to each host (default true; --events false turns them off)." };
        var readinessGrace = new Option<int?>("--readiness-grace-s") { Description = "Kubernetes mode: seconds a canal gateway may have no ready endpoints before its redirects are withdrawn (default 30)." };
        var data = new Option<string>("--data") { Description = "Directory of the embedded SQLite journal (default .canal)." };
        var postgres = new Option<string>("--postgres") { Description = "PostgreSQL connection string: a journal shared by several replicas, instead of SQLite." };
        var mode = new Option<string>("--mode") { Description = "auto (default), rewrite, hosts or custom (Kubernetes: write to the coredns-custom ConfigMap CoreDNS imports)." };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "The cluster's DNS domain (default cluster.local)." };
        var selector = new Option<string>("--gateway-selector") { Description = "Labels of the canal gateway's pods, k=v[,k=v] (default app=canal-gateway)." };
        var defaultExportTo = new Option<string>("--default-export-to") { Description = "The mesh's defaultVirtualServiceExportTo, comma-separated (default *): where a VirtualService without exportTo is visible." };
        var debounce = new Option<int?>("--debounce-ms") { Description = "Quiet time after a change before writing (default 200)." };
        var maxDelay = new Option<int?>("--max-delay-ms") { Description = "Longest a change waits under continuous changes (default 1000)." };
        var port = new Option<int?>("--port") { Description = "Akka remoting port (default 0: any free port)." };
        var managementHost = new Option<string>("--management-host") { Description = "Address of the management API (canal-cmd, health probes; default 127.0.0.1)." };
        var managementPort = new Option<int?>("--management-port") { Description = "Port of the management API (default 9110)." };
        var managementToken = new Option<string>("--management-token-file") { Description = "File holding the bearer token the management API requires for changes, and for everything off loopback." };
        var seeds = new Option<string[]>("--seed-node") { Description = "A seed node address, akka.tcp://canal@host:port (repeatable).", AllowMultipleArgumentsPerToken = false };

        var command = new Command("run", "Run the controller until stopped: watch manifests, keep the Corefile's canal section up to date.")
        {
            manifests, corefile, kubeconfig, context, namespaces, gatewayNamespaces, coreDnsNamespace, coreDnsConfigMap, readinessGrace, events,
            data, postgres, mode, clusterDomain, selector, defaultExportTo, debounce, maxDelay, port, seeds, managementHost, managementPort, managementToken,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var flags = new Dictionary<string, string?>();
            void Flag<T>(Option<T> option, string key, Func<T, string?> format)
            {
                if (result.GetResult(option) is { Implicit: false } && result.GetValue(option) is { } value)
                    flags[$"Canal:{key}"] = format(value);
            }
            Flag(manifests, "Manifests", v => v);
            Flag(corefile, "Corefile", v => v);
            Flag(kubeconfig, "Kubeconfig", v => v);
            Flag(context, "Context", v => v);
            Flag(coreDnsNamespace, "CoreDnsNamespace", v => v);
            Flag(coreDnsConfigMap, "CoreDnsConfigMap", v => v);
            Flag(readinessGrace, "ReadinessGrace", v => TimeSpan.FromSeconds(v!.Value).ToString());
            Flag(events, "Events", v => v!.Value ? "true" : "false");
            Flag(data, "Data", v => v);
            Flag(postgres, "Postgres", v => v);
            Flag(mode, "Mode", v => v);
            Flag(clusterDomain, "ClusterDomain", v => v);
            Flag(selector, "GatewaySelector", v => v);
            Flag(defaultExportTo, "DefaultExportTo", v => v);
            Flag(debounce, "Debounce", v => TimeSpan.FromMilliseconds(v!.Value).ToString());
            Flag(maxDelay, "MaxDelay", v => TimeSpan.FromMilliseconds(v!.Value).ToString());
            Flag(port, "Port", v => v.ToString());
            Flag(managementHost, "ManagementHost", v => v);
            Flag(managementPort, "ManagementPort", v => v.ToString());
            Flag(managementToken, "ManagementTokenFile", v => v);
            void List(Option<string[]> option, string key)
            {
                var values = result.GetValue(option) ?? [];
                for (var i = 0; i < values.Length; i++)
                    flags[$"Canal:{key}:{i}"] = values[i];
            }
            List(seeds, "SeedNodes");
            List(namespaces, "Namespaces");
            List(gatewayNamespaces, "GatewayNamespaces");
            return await Run(flags, cancellationToken);
        });
        return command;
    }

    private static async Task<int> Run(Dictionary<string, string?> flags, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(flags);
        var options = new CanalNodeOptions();
        try
        {
            builder.Configuration.GetSection("Canal").Bind(options);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return RenderCommand.UnusableInput;
        }
        if (Validate(options, out var redirects) is { } problem)
        {
            Console.Error.WriteLine($"error: {problem}");
            return RenderCommand.UnusableInput;
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        // Akka's own start-up chatter is noise for a person watching redirects change.
        builder.Logging.AddFilter("Akka", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        ManagementAccess access;
        try
        {
            access = ManagementAccess.Create(options.ManagementHost, options.ManagementTokenFile);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return RenderCommand.UnusableInput;
        }
        builder.WebHost.ConfigureKestrel(k => k.Listen(ManagementEndpoint(options.ManagementHost), options.ManagementPort));
        builder.Services.ConfigureHttpJsonOptions(json => ManagementJson.Configure(json.SerializerOptions));
        builder.Services.AddSingleton<CanalMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(CanalMetrics.MeterName)
            // Prometheus's names as Canal has always exposed them: counters named in full, no scope labels, no cached answers.
            .AddPrometheusExporter(prometheus =>
            {
                prometheus.DisableTotalNameSuffixForCounters = true;
                prometheus.ScopeInfoEnabled = false;
                prometheus.TargetInfoEnabled = false;
                prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
            }));

        var settings = CanalAkka.WriterSettings(options, redirects);
        var refusals = new ApiRefusals();
        string watching, writing;
        if (options.Manifests.Length > 0)
        {
            var store = new CorefileFileStore(options.Corefile, options.ClusterDomain);
            builder.Services.AddAkka(CanalAkka.SystemName, (akka, services) => akka.WithCanal(options, settings, store,
                Warm(services, new WarmSource(_ => new LocalDirectorySource(options.Manifests, options.Corefile, Logger(services)))).Attach));
            (watching, writing) = (Path.GetFullPath(options.Manifests), Path.GetFullPath(options.Corefile));
        }
        else
        {
            IKubernetes client;
            try
            {
                client = KubernetesConnection.Create(options.Kubeconfig, options.Context, refusals);
            }
            catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException)
            {
                Console.Error.WriteLine($"error: cannot reach Kubernetes ({e.Message}); give --kubeconfig, or --manifests for local mode");
                return RenderCommand.UnusableInput;
            }
            var kube = KubeSettings(options);
            var custom = options.Mode == DnsMode.Custom;
            var storeName = custom ? kube.CustomConfigMap : kube.CoreDnsConfigMap;
            builder.Services.AddSingleton(client);
            // The host owns it, so it is disposed (its posting loop stopped) when the host stops.
            if (options.Events)
                builder.Services.AddSingleton(services => new VirtualServiceEvents(client, Logger(services)));
            builder.Services.AddAkka(CanalAkka.SystemName, (akka, services) =>
            {
                var logger = Logger(services);
                var store = custom
                    ? new ConfigMapStore(client, kube.CoreDnsNamespace, kube.CustomConfigMap, kube.CustomKey, ownsKey: true, backupName: null, logger)
                    : new ConfigMapStore(client, kube.CoreDnsNamespace, kube.CoreDnsConfigMap, kube.CorefileKey, ownsKey: false, kube.BackupConfigMap, logger);
                var events = services.GetService<VirtualServiceEvents>();
                var warm = Warm(services, new WarmSource(invalid => new KubernetesSource(client, kube, storeName, logger, invalid), events == null ? null : events.Invalid));
                akka.WithCanal(options, settings, store, warm.Attach,
                    system =>
                    {
                        if (events != null)
                        {
                            var planEvents = system.ActorOf(Akka.Actor.Props.Create(() => new PlanEvents(events)), "plan-events");
                            system.EventStream.Subscribe(planEvents, typeof(SyncBarrierPassed));
                            system.EventStream.Subscribe(planEvents, typeof(PlanApplied));
                        }
                        if (options.Bootstrap.Enabled)
                            PodSeeds.Join(system, options.Bootstrap, client, logger);
                    });
            });
            (watching, writing) = (client.BaseUri.ToString(), $"{kube.CoreDnsNamespace}/{storeName}");
        }

        // Checked before anything starts, so a port in use is one line that says what to change, not a stack trace.
        if (PortInUse(ManagementEndpoint(options.ManagementHost), options.ManagementPort) is { } managementInUse)
        {
            Console.Error.WriteLine($"error: the management API cannot listen on {options.ManagementHost}:{options.ManagementPort} ({managementInUse}); pick a free port with --management-port (or Canal__ManagementPort)");
            return RenderCommand.UnusableInput;
        }
        if (IPAddress.TryParse(options.Host, out var remotingAddress) && PortInUse(remotingAddress, options.Port) is { } remotingInUse)
        {
            Console.Error.WriteLine($"error: Akka remoting cannot listen on {options.Host}:{options.Port} ({remotingInUse}); pick a free port with --port (or Canal__Port), or 0 for any");
            return RenderCommand.UnusableInput;
        }

        await using var host = builder.Build();
        refusals.Logger = Logger(host.Services);
        ManagementApi.Map(host, access);
        var journal = string.IsNullOrWhiteSpace(options.Postgres) ? Path.GetFullPath(Path.Combine(options.Data, "canal.db")) : "PostgreSQL";
        Logger(host.Services).LogInformation(
            "canal run: watching {Source}, writing {Store} ({Mode} mode), journal {Journal}; Ctrl+C stops",
            watching, writing, options.Mode.ToString().ToLowerInvariant(), journal);
        await host.RunAsync(cancellationToken);
        return 0;
    }

    /// <summary>Why nothing can listen on <paramref name="address"/>:<paramref name="port"/> now, or null when something can (port 0 always can).</summary>
    private static string? PortInUse(IPAddress address, int port)
    {
        if (port == 0)
            return null;
        try
        {
            var listener = new System.Net.Sockets.TcpListener(address, port);
            listener.Start();
            listener.Stop();
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return e.Message.ToLowerInvariant();
        }
    }

    private static IPAddress ManagementEndpoint(string host) =>
        host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host);

    /// <summary>
    /// Starts <paramref name="warm"/> now, as the actor system is being built, so the listing runs while the node
    /// joins its cluster; disposed when the host stops.
    /// </summary>
    private static WarmSource Warm(IServiceProvider services, WarmSource warm)
    {
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(warm.Dispose);
        warm.Start();
        return warm;
    }

    private static ILogger Logger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger("Canal");

    private static KubernetesSettings KubeSettings(CanalNodeOptions options) => new()
    {
        Namespaces = options.Namespaces,
        GatewayNamespaces = options.GatewayNamespaces switch
        {
            [] => ["istio-system"],
            var list when list.Contains("*") => [],
            var list => list,
        },
        CoreDnsNamespace = options.CoreDnsNamespace,
        CoreDnsConfigMap = options.CoreDnsConfigMap,
        Resync = options.Resync,
    };

    private static string? Validate(CanalNodeOptions options, out RedirectOptions redirects)
    {
        redirects = new RedirectOptions();
        var local = !string.IsNullOrWhiteSpace(options.Manifests);
        if (local && !Directory.Exists(options.Manifests))
            return $"manifest directory {options.Manifests} does not exist";
        if (local && string.IsNullOrWhiteSpace(options.Corefile))
            return "--corefile is required with --manifests (the Corefile to keep up to date; created when missing)";
        if (!local && !string.IsNullOrWhiteSpace(options.Corefile))
            return "--corefile goes with --manifests (local mode); in Kubernetes mode Canal edits the CoreDNS ConfigMap";
        if (!Enum.IsDefined(options.Mode))
            return "--mode must be auto, rewrite, hosts or custom";
        if (local && options.Bootstrap.Enabled)
            return "cluster bootstrap (Canal__Bootstrap__Enabled) finds the replicas through the Kubernetes API: it needs Kubernetes mode (no --manifests); use --seed-node locally";
        if (local && options.Mode == DnsMode.Custom)
            return "--mode custom writes the coredns-custom ConfigMap, so it needs Kubernetes mode (no --manifests)";
        if (CanalOptions.Redirects(options.ClusterDomain, options.GatewaySelector, options.DefaultExportTo, out var error) is not { } valid)
            return error;
        redirects = valid;
        options.ClusterDomain = valid.ClusterDomain;
        if (options.Clustered && string.IsNullOrWhiteSpace(options.Postgres))
            return "several replicas need a journal they share: give --postgres (or Canal__Postgres); SQLite is a file on one node, and two nodes writing their own would disagree";
        if (options.ManagementHost != "localhost" && !IPAddress.TryParse(options.ManagementHost, out _))
            return $"--management-host {HostName.Quote(options.ManagementHost)} is not an IP address (such as 127.0.0.1 or 0.0.0.0)";
        if (options.ManagementPort is < 0 or > 65535)
            return $"--management-port {options.ManagementPort} is not a port";
        if (options.Debounce < TimeSpan.Zero || options.MaxDelay < options.Debounce)
            return "--debounce-ms must be at least 0 and --max-delay-ms at least the debounce";
        return null;
    }
}
