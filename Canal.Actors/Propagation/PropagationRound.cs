using Canal.Dns;

namespace Canal.Propagation;

/// <summary>One round of questions, as the probe planned it: the replicas as known, what each is still to show.</summary>
/// <param name="Through">The newest write when the round was planned: its answers say nothing of writes after it.</param>
/// <param name="Questions">The checks each replica is asked, by replica name; a replica the listing adds is asked <paramref name="Fresh"/>.</param>
/// <param name="Metrics">The replicas whose reload failures are read this round, and where.</param>
internal sealed record RoundPlan(
    long Through,
    IReadOnlyList<CoreDnsReplica> Replicas,
    IReadOnlyDictionary<string, IReadOnlyList<NameCheck>> Questions,
    IReadOnlyList<NameCheck> Fresh,
    bool List,
    IReadOnlySet<string> Metrics,
    int? MetricsPort,
    bool Final);

/// <summary>What a round found: the replicas listed (null: not listed, or <paramref name="ListError"/>) and each one's answers.</summary>
internal sealed record RoundAnswers(RoundPlan Plan, IReadOnlyList<CoreDnsReplica>? Listed, string? ListError, IReadOnlyList<ReplicaAnswers> Replicas);

/// <summary>One replica's answers: by host and address family, the gateways' names resolved, whether it answered at all.</summary>
internal sealed record ReplicaAnswers(
    string Replica,
    IReadOnlyDictionary<(string Host, bool Ipv6), DnsAnswer> Hosts,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Gateways,
    string? Failed,
    double? ReloadFailures);

/// <summary>Asks the questions of a round (the probe's only I/O): replicas in parallel, each replica's questions one after another.</summary>
internal static class PropagationRound
{
    public static async Task<RoundAnswers> Ask(ICoreDnsReplicas port, RoundPlan plan, int parallelism, CancellationToken cancellationToken)
    {
        IReadOnlyList<CoreDnsReplica>? listed = null;
        string? listError = null;
        var replicas = plan.Replicas;
        if (plan.List)
        {
            try
            {
                replicas = listed = await port.ListAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                listError = e.Message;
            }
        }
        using var gate = new SemaphoreSlim(parallelism);
        var asked = replicas
            .Select(r => (Replica: r, Checks: plan.Questions.TryGetValue(r.Name, out var q) ? q : plan.Replicas.Any(k => k.Name == r.Name) ? null : plan.Fresh))
            .Where(r => r.Checks is { Count: > 0 } || plan.Metrics.Contains(r.Replica.Name))
            .Select(async r =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    var metricsPort = plan.Metrics.Contains(r.Replica.Name) || !plan.Replicas.Any(k => k.Name == r.Replica.Name) ? r.Replica.MetricsPort ?? plan.MetricsPort : null;
                    return await AskReplica(port, r.Replica, r.Checks ?? [], metricsPort, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            });
        return new RoundAnswers(plan, listed, listError, await Task.WhenAll(asked));
    }

    /// <summary>The addresses <paramref name="check"/>'s gateway has on a replica: the section's (hosts mode), or what it answered for the gateway's name.</summary>
    public static IReadOnlyList<string> GatewayOf(NameCheck check, IReadOnlyDictionary<string, IReadOnlyList<string>> resolved) =>
        check.GatewayIPs.Count > 0 ? check.GatewayIPs : resolved.GetValueOrDefault(check.GatewayFqdn) ?? [];

    /// <summary>True when a gateway has only IPv6 addresses: its names are asked for AAAA records.</summary>
    public static bool Ipv6(IReadOnlyList<string> gateway) => gateway.Count > 0 && gateway.All(ip => ip.Contains(':'));

    private static async Task<ReplicaAnswers> AskReplica(ICoreDnsReplicas port, CoreDnsReplica replica, IReadOnlyList<NameCheck> checks, int? metricsPort, CancellationToken cancellationToken)
    {
        var gateways = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var hosts = new Dictionary<(string, bool), DnsAnswer>();
        string? failed = null;
        var answered = false;
        async Task<DnsAnswer> Ask(string name, bool ipv6)
        {
            var answer = await port.AskAsync(replica, name, ipv6, cancellationToken);
            if (answer is DnsAnswer.Failed f)
                failed = f.Why;
            else
                answered = true;
            return answer;
        }

        try
        {
            foreach (var fqdn in checks.Where(c => c.GatewayIPs.Count == 0 && c.GatewayFqdn.Length > 0).Select(c => c.GatewayFqdn).Distinct(StringComparer.Ordinal))
            {
                // The gateway's own name, as the replica answers it: A, or AAAA in a single-stack IPv6 cluster.
                var addresses = (await Ask(fqdn, ipv6: false)).Values();
                if (addresses.Count == 0)
                    addresses = (await Ask(fqdn, ipv6: true)).Values();
                gateways[fqdn] = [.. addresses.Select(PropagationCheck.Normalised)];
            }
            foreach (var check in checks)
            {
                var key = (check.Host, Ipv6(GatewayOf(check, gateways)));
                if (!hosts.ContainsKey(key))
                    hosts[key] = await Ask(check.Host, key.Item2);
            }
            var failures = metricsPort is { } p ? await port.ReloadFailuresAsync(replica, p, cancellationToken) : null;
            return new ReplicaAnswers(replica.Name, hosts, gateways, answered ? null : failed ?? (checks.Count == 0 ? null : "no answer"), failures);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // A port that throws (instead of answering Failed) counts as a replica that did not answer.
            return new ReplicaAnswers(replica.Name, hosts, gateways, e.Message, null);
        }
    }
}
