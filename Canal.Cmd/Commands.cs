using System.Text.Json;
using System.Text.Json.Nodes;

namespace Canal.Cmd;

/// <summary>One command: palette and name as typed, its arguments, what it does with the API.</summary>
internal sealed record CommandSpec(string Palette, string Name, string Arguments, string Description, Func<CommandContext, Task> Run)
{
    public string Usage => $"{Palette} {Name}{(Arguments.Length > 0 ? " " + Arguments : "")}";
}

/// <summary>What a running command has: the client, its words after palette and name, the output and format.</summary>
internal sealed record CommandContext(ManagementClient Client, IReadOnlyList<string> Args, bool Json, TextWriter Out, CancellationToken Cancellation)
{
    public string Arg(int index, string what) =>
        index < Args.Count ? Args[index] : throw new UsageException($"missing {what}");

    public string? Option(string name) =>
        Args.Select((a, i) => (a, i)).Where(x => x.a == name && x.i + 1 < Args.Count).Select(x => Args[x.i + 1]).FirstOrDefault();

    /// <summary>Prints the answer as JSON (-o json) or with <paramref name="table"/> for people.</summary>
    public void Show(JsonNode? answer, Func<JsonNode, string> table) =>
        Out.Write(Json ? (answer?.ToJsonString(Indented) ?? "null") + "\n" : table(answer ?? new JsonObject()));

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}

/// <summary>A command used wrongly: exit code 2 and the usage.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Every palette and command of canal-cmd, after Petabridge.Cmd's habits.</summary>
internal static class Commands
{
    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new("cluster", "show", "", "members, their status and roles, the leader, unreachable members", async c =>
            c.Show(await c.Client.Get("api/cluster", c.Cancellation), a =>
                Table.Render(["ADDRESS", "STATUS", "ROLES", "LEADER", "UNREACHABLE"], Items(a["members"]).Select(m => (IReadOnlyList<string>)
                [
                    S(m["address"]), S(m["status"]), string.Join(",", Items(m["roles"]).Select(S)),
                    S(m["address"]) == S(a["leader"]) ? "yes" : "", Items(a["unreachable"]).Any(u => S(u) == S(m["address"])) ? "yes" : "",
                ])))),
        new("cluster", "leave", "<address>", "make a member leave the cluster gracefully", async c =>
            c.Show(await c.Client.Post("api/cluster/leave", new { address = c.Arg(0, "address (canal-cmd cluster show lists them)") }, c.Cancellation), a => S(a["message"]) + "\n")),
        new("cluster", "down", "<address>", "mark a member down (it is removed without leaving)", async c =>
            c.Show(await c.Client.Post("api/cluster/down", new { address = c.Arg(0, "address (canal-cmd cluster show lists them)") }, c.Cancellation), a => S(a["message"]) + "\n")),
        new("cluster", "tail", "", "follow membership events until interrupted", async c =>
        {
            await foreach (var line in c.Client.Lines("api/cluster/tail", c.Cancellation))
                c.Out.WriteLine(line);
        }),
        new("sharding", "regions", "", "shard regions with their nodes, shards and entities", async c =>
            c.Show(await c.Client.Get("api/sharding/regions", c.Cancellation), a =>
                Table.Render(["TYPE", "NODES", "SHARDS", "ENTITIES"], Items(a).Select(r => (IReadOnlyList<string>)[S(r["type"]), S(r["nodes"]), S(r["shards"]), S(r["entities"])])))),
        new("sharding", "region-stats", "<type>", "shards of this node's region and their entity counts", async c =>
            c.Show(await c.Client.Get($"api/sharding/{Uri.EscapeDataString(c.Arg(0, "region type (virtualservice or namespace)"))}/region-stats", c.Cancellation), a =>
                Table.Render(["SHARD", "ENTITIES"], Fields(a).OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (IReadOnlyList<string>)[f.Key, S(f.Value)])))),
        new("sharding", "shard-stats", "<type>", "shards of the region on every node", async c =>
            c.Show(await c.Client.Get($"api/sharding/{Uri.EscapeDataString(c.Arg(0, "region type (virtualservice or namespace)"))}/shard-stats", c.Cancellation), a =>
                Table.Render(["NODE", "SHARD", "ENTITIES"], Fields(a).SelectMany(n => Fields(n.Value!).Select(s => (IReadOnlyList<string>)[n.Key, s.Key, S(s.Value)]))))),
        new("actor", "hierarchy", "[path] [--depth n]", "the actor tree under a path (default /user)", async c =>
        {
            var path = c.Args.FirstOrDefault(a => a.StartsWith('/')) ?? "/user";
            var depth = c.Option("--depth") ?? "2";
            c.Show(await c.Client.Get($"api/actors?path={Uri.EscapeDataString(path)}&depth={Uri.EscapeDataString(depth)}", c.Cancellation), Tree);
        }),
        new("canal", "vs list", "[-n namespace]", "VirtualServices the source knows", async c =>
        {
            var ns = c.Option("-n") ?? c.Option("--namespace");
            c.Show(await c.Client.Get("api/virtualservices" + (ns != null ? $"?namespace={Uri.EscapeDataString(ns)}" : ""), c.Cancellation), a =>
                Table.Render(["VIRTUALSERVICE", "GATEWAYS", "DESTINATIONS"], Items(a).Select(v => (IReadOnlyList<string>)
                    [S(v["key"]), string.Join(",", Items(v["gateways"]).Select(S)), string.Join(",", Items(v["destinations"]).Select(S))])));
        }),
        new("canal", "vs show", "<namespace/name>", "a VirtualService actor's state: gateways, claims, versions", async c =>
        {
            var key = c.Arg(0, "namespace/name");
            if (!key.Contains('/'))
                throw new UsageException($"{key} is not namespace/name");
            c.Show(await c.Client.Get($"api/virtualservices/{key}", c.Cancellation), a =>
                Fields(a, "key", "version", "removed", "resourceVersion", "generation", "sequenceNr")
                + $"gateways: {string.Join(", ", Items(a["gateways"]).Select(S))}\n"
                + Table.Render(["NAMESPACE", "HOSTS"], Items(a["claims"]).Select(cl => (IReadOnlyList<string>)
                    [S(cl["namespace"]), Items(cl["hosts"]).Any() ? string.Join(",", Items(cl["hosts"]).Select(S)) : "(released)"]))
                + string.Concat(Items(a["skipped"]).Select(s => $"skipped {S(s["host"])}: {S(s["reason"])}\n")));
        }),
        new("canal", "ns list", "", "namespaces with claims: claimers and hosts", async c =>
            c.Show(await c.Client.Get("api/namespaces", c.Cancellation), a =>
                Table.Render(["NAMESPACE", "CLAIMERS", "HOSTS"], Items(a).Select(n => (IReadOnlyList<string>)[S(n["namespace"]), S(n["claimers"]), S(n["hosts"])])))),
        new("canal", "ns show", "<namespace>", "a namespace's claimed hosts and the VirtualServices claiming them", async c =>
            c.Show(await c.Client.Get($"api/namespaces/{Uri.EscapeDataString(c.Arg(0, "namespace"))}", c.Cancellation), a =>
                Table.Render(["HOST", "CLAIMERS", "GATEWAYS"], Items(a["claims"])
                    .SelectMany(cl => Items(cl["hosts"]).Select(h => (host: S(h), claimer: S(cl["claimer"]), gateways: string.Join(",", Items(cl["gateways"]).Select(S)))))
                    .GroupBy(x => x.host).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => (IReadOnlyList<string>)[g.Key, string.Join(",", g.Select(x => x.claimer)), string.Join(",", g.Select(x => x.gateways).Distinct())])))),
        new("canal", "hosts", "", "every host with its status, gateway and reason", async c =>
            c.Show(await c.Client.Get("api/hosts", c.Cancellation), a =>
                Table.Render(["STATUS", "HOST", "GATEWAY", "CLAIMERS", "REASON"], Items(a).Select(h => (IReadOnlyList<string>)
                    [S(h["status"]).ToLowerInvariant(), S(h["host"]), S(h["gateway"]), string.Join(",", Items(h["claimers"]).Select(S)), S(h["reason"])])))),
        new("canal", "gateways", "", "canal gateways: ports, Service, IPs, readiness", async c =>
            c.Show(await c.Client.Get("api/gateways", c.Cancellation), a =>
                Table.Render(["GATEWAY", "PORTS", "SERVICE", "CLUSTER-IPS", "READY", "WITHDRAWN"], Items(a).Select(g => (IReadOnlyList<string>)
                [
                    S(g["gateway"]), string.Join(",", Items(g["ports"]).Select(S)), S(g["serviceFqdn"]), string.Join(",", Items(g["clusterIPs"]).Select(S)),
                    g["readyEndpoints"] is null ? "unknown" : S(g["readyEndpoints"]), (bool?)g["withdrawn"] == true ? "yes" : "no",
                ])))),
        new("canal", "dns show", "", "the section as applied, the store's version, last write, pending changes, barrier", async c =>
            c.Show(await c.Client.Get("api/dns", c.Cancellation), a =>
                Fields(a, "store", "phase", "mode", "appliedVersion", "lastWrite", "writes", "conflicts", "redirected", "changesPending", "paused", "lastError")
                + "section:\n" + string.Concat(Items(a["section"]).Select(l => $"  {S(l)}\n")))),
        new("canal", "dns diff", "", "what a write now would change in the section", async c =>
            c.Show(await c.Client.Get("api/dns/diff", c.Cancellation), a =>
            {
                if (S(a["error"]) is { Length: > 0 } error)
                    return $"cannot render: {error}\n";
                var current = Items(a["current"]).Select(S).ToList();
                var wanted = Items(a["wanted"]).Select(S).ToList();
                var lines = current.Except(wanted).Select(l => $"- {l}\n").Concat(wanted.Except(current).Select(l => $"+ {l}\n")).ToList();
                return lines.Count == 0 ? "no changes\n" : string.Concat(lines);
            })),
        new("canal", "dns restore", "", "put back the configuration saved before Canal's first change, and pause writing", async c =>
            c.Show(await c.Client.Post("api/dns/restore", null, c.Cancellation), a =>
                S(a["message"]) + ((bool?)a["restored"] == true ? "\nwriting is paused until: canal-cmd canal dns resume\n" : "\n"))),
        new("canal", "dns resume", "", "resume writing after a restore", async c =>
            c.Show(await c.Client.Post("api/dns/resume", null, c.Cancellation), a => S(a["message"]) + "\n")),
    ];

    private static string S(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static IEnumerable<JsonNode> Items(JsonNode? node) => node is JsonArray array ? array.OfType<JsonNode>() : [];

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Fields(JsonNode node) => node is JsonObject o ? o : [];

    private static string Fields(JsonNode node, params string[] names) =>
        string.Concat(names.Select(n => $"{n}: {(node[n] is null ? "-" : S(node[n]))}\n"));

    private static string Tree(JsonNode root)
    {
        var sb = new System.Text.StringBuilder();
        void Walk(JsonNode node, string indent)
        {
            sb.Append(indent).Append(S(node["path"])).Append('\n');
            foreach (var child in Items(node["children"]))
                Walk(child, indent + "  ");
        }
        Walk(root, "");
        return sb.ToString();
    }
}
