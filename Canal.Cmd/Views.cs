using Canal.Contracts;

namespace Canal.Cmd;

/// <summary>The tables people read, one per answer of the management API.</summary>
internal static class Views
{
    public static string Message(MessageAnswer answer) => answer.Message + "\n";

    public static string Restore(RestoreAnswer answer) =>
        answer.Message + (answer.Restored ? "\nwriting is paused until: canal-cmd canal dns resume\n" : "\n");

    public static string Cluster(ClusterView cluster) =>
        Table.Render(["ADDRESS", "STATUS", "ROLES", "LEADER", "UNREACHABLE"], cluster.Members.Select(m => (IReadOnlyList<string>)
        [
            m.Address, m.Status, string.Join(",", m.Roles), m.Address == cluster.Leader ? "yes" : "", cluster.Unreachable.Contains(m.Address) ? "yes" : "",
        ]));

    public static string Regions(List<ShardRegionView> regions) =>
        Table.Render(["TYPE", "NODES", "SHARDS", "ENTITIES"], regions.Select(r => (IReadOnlyList<string>)[r.Type, $"{r.Nodes}", $"{r.Shards}", $"{r.Entities}"]));

    public static string RegionStats(RegionStatsView stats) =>
        Table.Render(["SHARD", "ENTITIES"], stats.Shards.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (IReadOnlyList<string>)[s.Key, $"{s.Value}"]));

    public static string ShardStats(ShardStatsView stats) =>
        Table.Render(["NODE", "SHARD", "ENTITIES"], stats.Nodes.OrderBy(n => n.Key, StringComparer.Ordinal)
            .SelectMany(n => n.Value.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (IReadOnlyList<string>)[n.Key, s.Key, $"{s.Value}"])));

    public static string Tree(ActorNodeView root)
    {
        var sb = new System.Text.StringBuilder();
        void Walk(ActorNodeView node, string indent)
        {
            sb.Append(indent).Append(node.Path).Append('\n');
            foreach (var child in node.Children)
                Walk(child, indent + "  ");
        }
        Walk(root, "");
        return sb.ToString();
    }

    public static string VirtualServices(List<VirtualServiceSummaryView> list) =>
        Table.Render(["VIRTUALSERVICE", "GATEWAYS", "DESTINATIONS"], list.Select(v => (IReadOnlyList<string>)
            [v.Key, string.Join(",", v.Gateways), string.Join(",", v.Destinations)]));

    public static string VirtualService(VirtualServiceView vs) =>
        Fields(("key", vs.Key), ("version", $"{vs.Version}"), ("removed", vs.Removed ? "true" : "false"), ("resourceVersion", vs.ResourceVersion),
            ("generation", $"{vs.Generation}"), ("gateways", string.Join(", ", vs.Gateways)))
        + Table.Render(["NAMESPACE", "HOSTS"], vs.Claims.Select(c => (IReadOnlyList<string>)[c.Namespace, c.Hosts.Count > 0 ? string.Join(",", c.Hosts) : "(released)"]))
        + string.Concat(vs.Skipped.Select(s => $"skipped {s.Host}: {s.Reason}\n"));

    public static string Namespaces(List<NamespaceSummaryView> list) =>
        Table.Render(["NAMESPACE", "CLAIMERS", "HOSTS"], list.Select(n => (IReadOnlyList<string>)[n.Namespace, $"{n.Claimers}", $"{n.Hosts}"]));

    public static string Namespace(NamespaceView ns) =>
        Table.Render(["HOST", "CLAIMERS", "GATEWAYS"], ns.Claims
            .SelectMany(c => c.Hosts.Select(h => (Host: h, c.Claimer, Gateways: string.Join(",", c.Gateways))))
            .GroupBy(x => x.Host).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<string>)[g.Key, string.Join(",", g.Select(x => x.Claimer)), string.Join(",", g.Select(x => x.Gateways).Distinct())]));

    public static string Hosts(List<HostView> hosts) =>
        Table.Render(["STATUS", "HOST", "GATEWAY", "COVERAGE", "DNS", "CLAIMERS", "REASON"], hosts.Select(h => (IReadOnlyList<string>)
            [h.Status, h.Host, h.Gateway ?? "", h.Coverage?.Kind ?? "", h.Dns ?? "", string.Join(",", h.Claimers), Reason(h)]));

    /// <summary>One name end to end: who claims it, through which gateway and port, the routes that take its requests in order, what falls through, DNS.</summary>
    public static string Host(HostView host) =>
        Fields(("host", host.Host), ("status", host.Status), ("gateway", host.Gateway is { } g ? g + (host.Coverage?.Port is { } port ? $" port {port}" : "") : null),
            ("claimers", string.Join(", ", host.Claimers)), ("reason", host.Reason), ("coverage", host.Coverage is { } c ? $"{c.Kind}: {c.Summary}" : "not worked out (not bound to a canal gateway)"),
            ("dns", host.Dns))
        + (host.Coverage is not { } coverage ? ""
            : "routes, in the order the gateway tries them:\n"
              + (coverage.Routes.Count == 0 ? "  none\n" : string.Concat(coverage.Routes.Select((r, i) => $"  {i + 1}. {r}\n")))
              + (coverage.FallsThrough ? "  requests no route takes: 404 from the gateway\n" : ""));

    /// <summary>The reason, with the coverage of a name redirected although the gateway does not carry all of its requests to it.</summary>
    private static string Reason(HostView host) =>
        host.Coverage is { Kind: "partial" or "shared" } c && host.Status == "redirected" ? $"{host.Reason}; {c.Kind}: {c.Summary}" : host.Reason;

    public static string Gateways(List<GatewayView> gateways) =>
        Table.Render(["GATEWAY", "PORTS", "SERVICE", "CLUSTER-IPS", "READY", "WITHDRAWN"], gateways.Select(g => (IReadOnlyList<string>)
        [
            g.Gateway, string.Join(",", g.Ports), g.ServiceFqdn, string.Join(",", g.ClusterIPs),
            g.ReadyEndpoints is { } ready ? $"{ready}" : "unknown", g.Withdrawn ? "yes" : "no",
        ]));

    public static string Dns(DnsView dns) =>
        Fields(("store", dns.Store), ("phase", dns.Phase), ("mode", dns.Mode), ("appliedVersion", dns.AppliedVersion), ("lastWrite", dns.LastWrite?.ToString("O")),
            ("writes", $"{dns.Writes}"), ("conflicts", $"{dns.Conflicts}"), ("redirected", $"{dns.Redirected}"), ("changesPending", dns.ChangesPending ? "true" : "false"),
            ("paused", dns.Paused ? "true" : "false"), ("lastError", dns.LastError), ("reload", dns.Reload))
        + "section:\n" + string.Concat(dns.Section.Select(l => $"  {l}\n"))
        + (dns.DnsProbe == null
            ? "propagation: not checked (no CoreDNS replicas to ask: --dns-probe in local mode, --dns-service in a cluster)\n"
            : $"propagation (CoreDNS at {dns.DnsProbe}):\n" + (dns.Propagation.Count == 0 ? "  no write yet\n" : string.Concat(dns.Propagation.Select(p => $"  write #{p.Write}: {p.Text}\n"))));

    public static string Diff(DnsDiffView diff)
    {
        if (diff.Error is { Length: > 0 } error)
            return $"cannot render: {error}\n";
        var lines = diff.Current.Except(diff.Wanted).Select(l => $"- {l}\n").Concat(diff.Wanted.Except(diff.Current).Select(l => $"+ {l}\n")).ToList();
        return lines.Count == 0 ? "no changes\n" : string.Concat(lines);
    }

    private static string Fields(params (string Name, string? Value)[] fields) =>
        string.Concat(fields.Select(f => $"{f.Name}: {f.Value ?? "-"}\n"));
}
