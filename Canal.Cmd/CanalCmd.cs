using System.CommandLine;
using System.Reflection;
using Canal.Contracts;

namespace Canal.Cmd;

/// <summary>
/// canal-cmd's command tree, after Petabridge.Cmd's palettes: every command line, from the shell or the prompt,
/// is parsed by it, so a line means the same in both. Exit codes: 0 done, 1 failed (the message says why),
/// 2 misused (the usage of that command follows).
/// </summary>
internal sealed class CanalCmd
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Misused = 2;

    public static string ClientVersion { get; } =
        typeof(CanalCmd).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static readonly Option<string> Format = new Option<string>("--output", "-o")
    {
        Description = "How answers are printed: table (for people), json or yaml (the API's answer, for scripts).",
        DefaultValueFactory = _ => Output.Table,
        Recursive = true,
        HelpName = "table|json|yaml",
    }.AcceptOnlyFromAmong(Output.Formats);

    private readonly Connection _connection;

    public CanalCmd(Connection connection)
    {
        _connection = connection;
        Root = new RootCommand("canal-cmd: inspect a running Canal. Without a command: an interactive prompt.")
        {
            Format, ConnectionOptions.Endpoint, ConnectionOptions.Token, ConnectionOptions.TokenFile, ConnectionOptions.Pod, ConnectionOptions.PodNamespace,
            Cluster(), Sharding(), Actor(), Canal(),
            Leaf("version", "canal-cmd's version and the server's", async call =>
            {
                var server = await call.Client.Get<VersionInfo>("api/version", call.Cancellation);
                return call.Show(server, s => $"canal-cmd {ClientVersion}\ncanal {s.Version} at {call.Client.Endpoint}\n");
            }),
        };
        var help = new Command("help", "List the commands (every command also takes --help).");
        help.SetAction(result => Usage(result.RootCommandResult, result.InvocationConfiguration.Output));
        Root.Add(help);
    }

    public RootCommand Root { get; }

    /// <summary>Parses and runs one command line; a usage error prints what is wrong and that command's usage.</summary>
    public async Task<int> Run(ParseResult parsed, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
                error.WriteLine($"error: {problem.Message}");
            Usage(parsed.CommandResult, error);
            return Misused;
        }
        // Ctrl+C is ours (it ends a running command, not the prompt): the parser does not handle it.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, cancellationToken);
    }

    /// <summary>The help of the command a line reached, as its own --help prints it.</summary>
    private void Usage(System.CommandLine.Parsing.CommandResult reached, TextWriter writer)
    {
        var path = new List<string> { "--help" };
        for (var result = reached; result.Command != Root; result = (System.CommandLine.Parsing.CommandResult)result.Parent!)
            path.Insert(0, result.Command.Name);
        Root.Parse(path).Invoke(new InvocationConfiguration { Output = writer });
    }

    private Command Cluster()
    {
        var address = new Argument<string>("address") { Description = "A member's address, as 'canal-cmd cluster show' lists it." };
        return new Command("cluster", "Cluster membership.")
        {
            Leaf("show", "Members, their status and roles, the leader, unreachable members", async call =>
                call.Show(await call.Client.Get<ClusterView>("api/cluster", call.Cancellation), Views.Cluster)),
            Leaf("leave", "Make a member leave the cluster gracefully", async call =>
                call.Show(await call.Client.Post<MessageAnswer>("api/cluster/leave", new MemberRequest(call.Parsed.GetValue(address)!), call.Cancellation), Views.Message),
                address),
            Leaf("down", "Mark a member down (it is removed without leaving)", async call =>
                call.Show(await call.Client.Post<MessageAnswer>("api/cluster/down", new MemberRequest(call.Parsed.GetValue(address)!), call.Cancellation), Views.Message),
                address),
            Leaf("tail", "Follow membership events until interrupted (Ctrl+C)", async call =>
            {
                await foreach (var line in call.Client.Lines("api/cluster/tail", call.Cancellation))
                    call.Out.WriteLine(line);
                return "";
            }),
        };
    }

    private Command Sharding()
    {
        var type = new Argument<string>("type")
        {
            Description = "A shard region: virtualservice or namespace.",
            CompletionSources = { "virtualservice", "namespace" },
        };
        return new Command("sharding", "Cluster sharding: regions, shards and entities.")
        {
            Leaf("regions", "Shard regions with their nodes, shards and entities", async call =>
                call.Show(await call.Client.Get<List<ShardRegionView>>("api/sharding/regions", call.Cancellation), Views.Regions)),
            Leaf("region-stats", "Shards of this node's region and their entity counts", async call =>
                call.Show(await call.Client.Get<RegionStatsView>($"api/sharding/{Uri.EscapeDataString(call.Parsed.GetValue(type)!)}/region-stats", call.Cancellation), Views.RegionStats),
                type),
            Leaf("shard-stats", "Shards of the region on every node", async call =>
                call.Show(await call.Client.Get<ShardStatsView>($"api/sharding/{Uri.EscapeDataString(call.Parsed.GetValue(type)!)}/shard-stats", call.Cancellation), Views.ShardStats),
                type),
        };
    }

    private Command Actor()
    {
        var path = new Argument<string>("path") { Description = "Where the tree starts.", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "/user" };
        path.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } p && !p.StartsWith('/'))
                r.AddError($"{p} is not an actor path; paths start with / (such as /user or /system)");
        });
        var depth = new Option<int>("--depth") { Description = "How many levels down (1-10).", DefaultValueFactory = _ => 2 };
        depth.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 10)
                r.AddError("--depth must be between 1 and 10");
        });
        return new Command("actor", "The actor tree.")
        {
            Leaf("hierarchy", "The actor tree under a path (default /user)", async call =>
                call.Show(await call.Client.Get<ActorNodeView>($"api/actors?path={Uri.EscapeDataString(call.Parsed.GetValue(path)!)}&depth={call.Parsed.GetValue(depth)}", call.Cancellation), Views.Tree),
                path, depth),
        };
    }

    private Command Canal()
    {
        var vsNamespace = new Option<string?>("--namespace", "-n") { Description = "Only VirtualServices in this namespace." };
        var vsKey = new Argument<string>("namespace/name") { Description = "The VirtualService, as 'canal vs list' shows it." };
        vsKey.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } key && (key.Split('/') is not [{ Length: > 0 }, { Length: > 0 }]))
                r.AddError($"{key} is not namespace/name");
        });
        var ns = new Argument<string>("namespace") { Description = "A namespace, as 'canal ns list' shows it." };
        var hostName = new Argument<string>("name") { Description = "A host in full, as 'canal hosts' shows it (helloworld.default.svc.cluster.local)." };
        return new Command("canal", "What Canal does: VirtualServices, namespaces, hosts, gateways, DNS.")
        {
            new Command("vs", "VirtualServices.")
            {
                Leaf("list", "VirtualServices the source knows", async call =>
                {
                    var filter = call.Parsed.GetValue(vsNamespace);
                    var path = "api/virtualservices" + (filter != null ? $"?namespace={Uri.EscapeDataString(filter)}" : "");
                    return call.Show(await call.Client.Get<List<VirtualServiceSummaryView>>(path, call.Cancellation), Views.VirtualServices);
                }, vsNamespace),
                Leaf("show", "A VirtualService actor's state: gateways, claims, versions", async call =>
                    call.Show(await call.Client.Get<VirtualServiceView>($"api/virtualservices/{call.Parsed.GetValue(vsKey)}", call.Cancellation), Views.VirtualService),
                    vsKey),
            },
            new Command("ns", "Namespaces with claimed hosts.")
            {
                Leaf("list", "Namespaces with claims: claimers and hosts", async call =>
                    call.Show(await call.Client.Get<List<NamespaceSummaryView>>("api/namespaces", call.Cancellation), Views.Namespaces)),
                Leaf("show", "A namespace's claimed hosts and the VirtualServices claiming them", async call =>
                    call.Show(await call.Client.Get<NamespaceView>($"api/namespaces/{Uri.EscapeDataString(call.Parsed.GetValue(ns)!)}", call.Cancellation), Views.Namespace),
                    ns),
            },
            Leaf("hosts", "Every host with its status, gateway, coverage and reason", async call =>
                call.Show(await call.Client.Get<List<HostView>>("api/hosts", call.Cancellation), Views.Hosts)),
            Leaf("host", "One name end to end: claimers, gateway and port, the routes that take its requests in order, what falls through, DNS", async call =>
                call.Show(await call.Client.Get<HostView>($"api/hosts/{Uri.EscapeDataString(call.Parsed.GetValue(hostName)!)}", call.Cancellation), Views.Host),
                hostName),
            Leaf("gateways", "Canal gateways: ports, Service, IPs, readiness", async call =>
                call.Show(await call.Client.Get<List<GatewayView>>("api/gateways", call.Cancellation), Views.Gateways)),
            new Command("dns", "The DNS configuration Canal writes.")
            {
                Leaf("show", "The section as applied, the store's version, last write, pending changes, barrier", async call =>
                    call.Show(await call.Client.Get<DnsView>("api/dns", call.Cancellation), Views.Dns)),
                Leaf("diff", "What a write now would change in the section", async call =>
                    call.Show(await call.Client.Get<DnsDiffView>("api/dns/diff", call.Cancellation), Views.Diff)),
                Leaf("restore", "Put back the configuration saved before Canal's first change, and pause writing", async call =>
                    call.Show(await call.Client.Post<RestoreAnswer>("api/dns/restore", null, call.Cancellation), Views.Restore)),
                Leaf("resume", "Resume writing after a restore", async call =>
                    call.Show(await call.Client.Post<MessageAnswer>("api/dns/resume", null, call.Cancellation), Views.Message)),
            },
        };
    }

    /// <summary>A command that asks the API: its answer is printed; failures end it with exit code 1 and why.</summary>
    private Command Leaf(string name, string description, Func<Call, Task<string>> run, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            if (symbol is Argument argument)
                command.Add(argument);
            else if (symbol is Option option)
                command.Add(option);
        }
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var (output, error) = (parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error);
            ManagementClient client;
            try
            {
                client = await _connection.Open(parsed, cancellationToken);
            }
            catch (ConnectionException e)
            {
                error.WriteLine($"error: {e.Message}");
                return e.ExitCode;
            }
            try
            {
                output.Write(await run(new Call(parsed, client, parsed.GetValue(Format)!, output, cancellationToken)));
                return Ok;
            }
            catch (ManagementException e)
            {
                error.WriteLine($"error: {e.StatusCode}: {e.Message}");
                return Failed;
            }
            catch (HttpRequestException e)
            {
                error.WriteLine($"error: cannot reach canal at {client.Endpoint} ({e.Message}); is `canal run` up, and is this its --management-port?");
                return Failed;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Ok;
            }
        });
        return command;
    }

    /// <summary>A running command: what was parsed, the client, the output format.</summary>
    private sealed record Call(ParseResult Parsed, ManagementClient Client, string Format, TextWriter Out, CancellationToken Cancellation)
    {
        public string Show<T>(T answer, Func<T, string> table) => Output.Render(answer, Format, table);
    }
}
