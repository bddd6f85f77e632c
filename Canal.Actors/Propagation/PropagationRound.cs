using Canal.Dns;

namespace Canal.Propagation;

/// <summary>One round of questions, as the probe planned it: the replicas as known, what each is still to show.</summary>
/// <param name="Asked">The writes the questions are for: the answers are weighed against these only.</param>
/// <param name="Questions">The checks each replica is asked, by replica name; a replica the listing adds is asked <paramref name="Fresh"/>.</param>
/// <param name="Metrics">The replicas whose reload failures are read this round, and where.</param>
internal sealed record RoundPlan(
    IReadOnlyList<long> Asked,
    IReadOnlyList<CoreDnsReplica> Replicas,
    IReadOnlyDictionary<string, IReadOnlyList<NameCheck>> Questions,
    IReadOnlyList<NameCheck> Fresh,
    bool List,
    IReadOnlySet<string> Metrics,
    int? MetricsPort,
    bool Final);

/// <summary>What a round found: the replicas listed (null: not listed, or <paramref name="ListError"/>) and each one's answers.</summary>
/// <param name="Error">The round itself failed (a bug, not a replica): nothing was learnt.</param>
internal sealed record RoundAnswers(RoundPlan Plan, IReadOnlyList<CoreDnsReplica>? Listed, string? ListError, IReadOnlyList<ReplicaAnswers> Replicas, string? Error = null);

/// <summary>
/// One replica's answers: by host and address family, the gateways' names resolved (absent: not known, as when the
/// question got no answer; empty: the name does not resolve), and why it answered nothing, if it did not.
/// </summary>
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
        // Every replica known when the round was planned has its questions; one the listing adds is fresh.
        var asked = replicas
            .Select(r => (Replica: r, Fresh: !plan.Questions.TryGetValue(r.Name, out var q), Checks: q ?? plan.Fresh))
            .Where(r => r.Checks.Count > 0 || plan.Metrics.Contains(r.Replica.Name))
            .Select(async r =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    var metricsPort = r.Fresh || plan.Metrics.Contains(r.Replica.Name) ? r.Replica.MetricsPort ?? plan.MetricsPort : null;
                    return await AskReplica(port, r.Replica, r.Checks, metricsPort, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            });
        return new RoundAnswers(plan, listed, listError, await Task.WhenAll(asked));
    }

    /// <summary>
    /// The addresses <paramref name="check"/>'s gateway has on a replica: the section's (hosts mode), or what it answered
    /// for the gateway's name; null when that is not known.
    /// </summary>
    public static IReadOnlyList<string>? GatewayOf(NameCheck check, IReadOnlyDictionary<string, IReadOnlyList<string>> resolved) =>
        check.GatewayIPs.Count > 0 ? check.GatewayIPs : resolved.GetValueOrDefault(check.GatewayFqdn);

    /// <summary>The family a gateway's names are asked in: IPv4 (A) when it has an IPv4 address, else IPv6 (AAAA).</summary>
    public static bool Ipv6(IReadOnlyList<string>? gateway) => gateway is { Count: > 0 } && gateway.All(ip => ip.Contains(':'));

    /// <summary>The gateway's addresses of the family asked.</summary>
    public static IReadOnlyList<string> OfFamily(IReadOnlyList<string> gateway, bool ipv6) => [.. gateway.Where(ip => ip.Contains(':') == ipv6)];

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
                // The gateway's own name, as the replica answers it: A, or AAAA in a single-stack IPv6 cluster. A question
                // with no answer leaves it unknown, never "does not resolve".
                var answer = await Ask(fqdn, ipv6: false);
                if (answer is not DnsAnswer.Failed && answer.Values().Count == 0)
                    answer = await Ask(fqdn, ipv6: true);
                if (answer is DnsAnswer.Failed)
                    break;
                gateways[fqdn] = [.. answer.Values().Select(PropagationCheck.Normalised)];
            }
            foreach (var check in checks)
            {
                // A replica that let one question go unanswered is not asked the rest this round: each costs a timeout.
                if (failed != null)
                    break;
                if (GatewayOf(check, gateways) is not { } gateway)
                    continue;
                var key = (check.Host, Ipv6(gateway));
                if (!hosts.ContainsKey(key))
                    hosts[key] = await Ask(check.Host, key.Item2);
            }
            var failures = metricsPort is { } p && failed == null ? await port.ReloadFailuresAsync(replica, p, cancellationToken) : null;
            return new ReplicaAnswers(replica.Name, hosts, gateways, answered ? null : failed, failures);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // A port that throws (instead of answering Failed) counts as a replica that did not answer.
            return new ReplicaAnswers(replica.Name, hosts, gateways, e.Message, null);
        }
    }
}
