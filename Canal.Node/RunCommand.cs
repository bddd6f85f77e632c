using System.CommandLine;
using Akka.Hosting;
using Canal.Dns;
using Canal.Istio;
using Canal.Node.Hosting;
using Canal.Node.Local;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
        var manifests = new Option<string>("--manifests") { Description = "Directory of VirtualService, Gateway and Service manifests to watch." };
        var corefile = new Option<string>("--corefile") { Description = "The Corefile to keep up to date (created from a kubeadm default when missing)." };
        var data = new Option<string>("--data") { Description = "Directory of the embedded SQLite journal (default .canal)." };
        var postgres = new Option<string>("--postgres") { Description = "PostgreSQL connection string: a journal shared by several replicas, instead of SQLite." };
        var mode = new Option<string>("--mode") { Description = "auto (default), rewrite or hosts." };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "The cluster's DNS domain (default cluster.local)." };
        var selector = new Option<string>("--gateway-selector") { Description = "Labels of the canal gateway's pods, k=v[,k=v] (default app=canal-gateway)." };
        var debounce = new Option<int?>("--debounce-ms") { Description = "Quiet time after a change before writing (default 200)." };
        var maxDelay = new Option<int?>("--max-delay-ms") { Description = "Longest a change waits under continuous changes (default 1000)." };
        var port = new Option<int?>("--port") { Description = "Akka remoting port (default 0: any free port)." };
        var seeds = new Option<string[]>("--seed-node") { Description = "A seed node address, akka.tcp://canal@host:port (repeatable).", AllowMultipleArgumentsPerToken = false };

        var command = new Command("run", "Run the controller until stopped: watch manifests, keep the Corefile's canal section up to date.")
        {
            manifests, corefile, data, postgres, mode, clusterDomain, selector, debounce, maxDelay, port, seeds,
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
            Flag(data, "Data", v => v);
            Flag(postgres, "Postgres", v => v);
            Flag(mode, "Mode", v => v);
            Flag(clusterDomain, "ClusterDomain", v => v);
            Flag(selector, "GatewaySelector", v => v);
            Flag(debounce, "Debounce", v => TimeSpan.FromMilliseconds(v!.Value).ToString());
            Flag(maxDelay, "MaxDelay", v => TimeSpan.FromMilliseconds(v!.Value).ToString());
            Flag(port, "Port", v => v.ToString());
            var seedNodes = result.GetValue(seeds) ?? [];
            for (var i = 0; i < seedNodes.Length; i++)
                flags[$"Canal:SeedNodes:{i}"] = seedNodes[i];
            return await Run(flags, cancellationToken);
        });
        return command;
    }

    private static async Task<int> Run(Dictionary<string, string?> flags, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
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
        if (Validate(options) is { } problem)
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

        var settings = CanalAkka.WriterSettings(options);
        var store = new CorefileFileStore(options.Corefile, options.ClusterDomain);
        builder.Services.AddAkka(CanalAkka.SystemName, (akka, services) => akka.WithCanal(options, settings, store,
            () => new LocalDirectorySource(options.Manifests, options.Corefile, services.GetRequiredService<ILoggerFactory>().CreateLogger("Canal"))));

        using var host = builder.Build();
        var journal = string.IsNullOrWhiteSpace(options.Postgres) ? Path.GetFullPath(Path.Combine(options.Data, "canal.db")) : "PostgreSQL";
        host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Canal").LogInformation(
            "canal run: watching {Manifests}, writing {Corefile} ({Mode} mode), journal {Journal}; Ctrl+C stops",
            Path.GetFullPath(options.Manifests), Path.GetFullPath(options.Corefile), options.Mode.ToString().ToLowerInvariant(), journal);
        await host.RunAsync(cancellationToken);
        return 0;
    }

    private static string? Validate(CanalNodeOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Manifests))
            return "--manifests is required (a directory of VirtualService, Gateway and Service manifests)";
        if (!Directory.Exists(options.Manifests))
            return $"manifest directory {options.Manifests} does not exist";
        if (string.IsNullOrWhiteSpace(options.Corefile))
            return "--corefile is required (the Corefile to keep up to date; created when missing)";
        if (!Enum.IsDefined(options.Mode))
            return "--mode must be auto, rewrite or hosts";
        options.ClusterDomain = options.ClusterDomain.Trim().TrimEnd('.').ToLowerInvariant();
        if (!HostName.IsValidDomain(options.ClusterDomain))
            return $"--cluster-domain {HostName.Quote(options.ClusterDomain)} is not a DNS name such as cluster.local";
        try
        {
            RedirectOptions.ParseSelector(options.GatewaySelector);
        }
        catch (FormatException e)
        {
            return $"--gateway-selector: {e.Message}";
        }
        if (options.Debounce < TimeSpan.Zero || options.MaxDelay < options.Debounce)
            return "--debounce-ms must be at least 0 and --max-delay-ms at least the debounce";
        return null;
    }
}
