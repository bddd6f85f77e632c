using System.CommandLine;
using Canal.Contracts;
using Canal.Node.Hosting;
using Canal.Node.Management;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Canal.Node;

/// <summary>
/// <c>canal run</c>: the controller. In local mode the source is a directory of manifests and the store a
/// Corefile on disk; it runs until Ctrl+C or SIGTERM. Settings come from appsettings.json, environment
/// variables (<c>Canal__Mode=hosts</c>) and the flags, each overriding the one before.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CanalOptions planning, KubernetesFlags kubernetes)
    {
        var flags = new ConfigurationFlags();
        var command = new Command("run", "Run the controller until stopped: watch manifests, keep the Corefile's canal section up to date.")
        {
            flags.Add(new Option<string>("--manifests") { Description = "Local mode: directory of VirtualService, Gateway and Service manifests to watch." }, "Manifests"),
            flags.Add(new Option<string>("--corefile") { Description = "Local mode: the Corefile to keep up to date (created from a kubeadm default when missing)." }, "Corefile"),
            flags.Add(kubernetes.Kubeconfig, "Kubeconfig"),
            flags.Add(kubernetes.Context, "Context"),
            flags.AddList(kubernetes.Namespace, "Namespaces"),
            flags.AddList(kubernetes.GatewayNamespace, "GatewayNamespaces"),
            flags.Add(kubernetes.CoreDnsNamespace, "CoreDnsNamespace"),
            flags.Add(kubernetes.CoreDnsConfigMap, "CoreDnsConfigMap"),
            flags.Add(new Option<int?>("--readiness-grace-s") { Description = "Kubernetes mode: seconds a canal gateway may have no ready endpoints before its redirects are withdrawn (default 30)." },
                "ReadinessGrace", v => TimeSpan.FromSeconds(v!.Value).ToString()),
            flags.AddList(new Option<string[]>("--dns-probe") { Description = "Local mode: a CoreDNS server (HOST:PORT) each write is confirmed in (repeatable; default none: writes are not confirmed).", AllowMultipleArgumentsPerToken = false }, "DnsProbe"),
            flags.Add(new Option<string>("--dns-service") { Description = "Kubernetes mode: the Service whose endpoints are the CoreDNS replicas each write is confirmed in (default kube-system/kube-dns; \"\" to not confirm)." }, "DnsService"),
            flags.Add(new Option<int?>("--propagation-deadline-s") { Description = "Seconds a write may take to be live on every CoreDNS replica before Canal says it is not (default 180)." },
                "PropagationDeadline", v => TimeSpan.FromSeconds(v!.Value).ToString()),
            flags.Add(new Option<bool?>("--nudge-coredns-pods") { Description = "Kubernetes mode: after each write, annotate the CoreDNS pods behind --dns-service so kubelet refreshes their Corefile at once instead of within its sync period (needs get and patch on those pods; default false)." },
                "NudgeCorednsPods"),
            flags.Add(new Option<bool?>("--events") { Description = "Kubernetes mode: post Events on VirtualServices saying what happened to each host (default true; --events false turns them off)." },
                "Events"),
            flags.Add(new Option<string>("--data") { Description = "Directory of the embedded SQLite journal (default .canal)." }, "Data"),
            flags.Add(new Option<string>("--postgres") { Description = "PostgreSQL connection string: a journal shared by several replicas, instead of SQLite." }, "Postgres"),
            flags.Add(planning.Mode, "Mode"),
            flags.Add(planning.ClusterDomain, "ClusterDomain"),
            flags.Add(planning.GatewaySelector, "GatewaySelector"),
            flags.AddList(planning.GatewayClass, "GatewayClasses"),
            flags.Add(planning.DefaultExportTo, "DefaultExportTo"),
            flags.Add(planning.Coverage, "Coverage"),
            flags.Add(new Option<int?>("--debounce-ms") { Description = "Quiet time after a change before writing (default 200)." }, "Debounce", v => TimeSpan.FromMilliseconds(v!.Value).ToString()),
            flags.Add(new Option<int?>("--max-delay-ms") { Description = "Longest a change waits under continuous changes (default 1000)." }, "MaxDelay", v => TimeSpan.FromMilliseconds(v!.Value).ToString()),
            flags.Add(new Option<int?>("--port") { Description = "Akka remoting port (default 0: any free port)." }, "Port"),
            flags.AddList(new Option<string[]>("--seed-node") { Description = "A seed node address, akka.tcp://canal@host:port (repeatable).", AllowMultipleArgumentsPerToken = false }, "SeedNodes"),
            flags.Add(new Option<string>("--management-host") { Description = "Address of the management API (canal-cmd, health probes; default 127.0.0.1)." }, "ManagementHost"),
            flags.Add(new Option<int?>("--management-port") { Description = "Port of the management API (default 9110)." }, "ManagementPort"),
            flags.Add(new Option<string>("--management-token-file") { Description = "File holding the bearer token the management API requires for changes, and for everything off loopback." }, "ManagementTokenFile"),
        };
        command.SetAction((result, cancellationToken) => Run(flags.Read(result), cancellationToken));
        return command;
    }

    private static async Task<int> Run(IEnumerable<KeyValuePair<string, string?>> flags, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(flags);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        // Akka's own start-up chatter is noise for a person watching redirects change.
        builder.Logging.AddFilter("Akka", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        CanalNodeOptions options;
        ManagementAccess access;
        try
        {
            options = builder.Services.AddCanalOptions(builder.Configuration);
            access = ManagementAccess.Create(options.ManagementHost, options.ManagementTokenFile);
        }
        catch (OptionsValidationException e)
        {
            Console.Error.WriteLine($"error: {string.Join("; ", e.Failures)}");
            return RenderCommand.UnusableInput;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // A setting that does not bind (Canal__Port=abc), or a token file that cannot be read.
            Console.Error.WriteLine($"error: {e.Message}");
            return RenderCommand.UnusableInput;
        }
        builder.WebHost.ConfigureKestrel(k => k.Listen(ManagementAccess.Endpoint(options.ManagementHost), options.ManagementPort));
        builder.Services.ConfigureHttpJsonOptions(json => ManagementJson.Configure(json.SerializerOptions));
        builder.Services.AddCanalMetrics();
        if (options.Local)
            builder.Services.AddCanalLocal();
        else
            builder.Services.AddCanalKubernetes();
        await using var host = builder.Build();

        string watching, writing;
        if (options.Local)
            (watching, writing) = (Path.GetFullPath(options.Manifests), Path.GetFullPath(options.Corefile));
        else
        {
            try
            {
                watching = host.Services.GetRequiredService<IKubernetes>().BaseUri.ToString();
            }
            catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException)
            {
                Console.Error.WriteLine($"error: cannot reach Kubernetes ({e.Message}); give --kubeconfig, or --manifests for local mode");
                return RenderCommand.UnusableInput;
            }
            writing = $"{options.CoreDnsNamespace}/{CanalServices.StoreName(options)}";
        }

        // Checked before anything starts, so a port in use is one line that says what to change, not a stack trace.
        if (PortInUse(ManagementAccess.Endpoint(options.ManagementHost), options.ManagementPort) is { } managementInUse)
        {
            Console.Error.WriteLine($"error: the management API cannot listen on {options.ManagementHost}:{options.ManagementPort} ({managementInUse}); pick a free port with --management-port (or Canal__ManagementPort)");
            return RenderCommand.UnusableInput;
        }
        if (IPAddress.TryParse(options.Host, out var remotingAddress) && PortInUse(remotingAddress, options.Port) is { } remotingInUse)
        {
            Console.Error.WriteLine($"error: Akka remoting cannot listen on {options.Host}:{options.Port} ({remotingInUse}); pick a free port with --port (or Canal__Port), or 0 for any");
            return RenderCommand.UnusableInput;
        }

        ManagementApi.Map(host, access);
        var journal = string.IsNullOrWhiteSpace(options.Postgres) ? Path.GetFullPath(Path.Combine(options.Data, "canal.db")) : "PostgreSQL";
        CanalServices.Logger(host.Services).LogInformation(
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
}
