using Akka.Actor;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Propagation;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Hosting;

/// <summary>Turns the DnsWriter's notices into one log line each: what a person running Canal watches.</summary>
internal sealed class ChangeLog : ReceiveActor
{
    public ChangeLog(ILogger logger)
    {
        Receive<SyncBarrierPassed>(n => logger.LogInformation(
            "sync barrier passed: {Listed} VirtualServices listed, {Namespaces} namespaces, {Swept} stale claimers swept, {Redirected} hosts to redirect (listing {Listing:F1} s, sweep {Sweep:F1} s)",
            n.Listed, n.Namespaces, n.Swept, n.Redirected, n.Listing.TotalSeconds, n.Sweep.TotalSeconds));
        Receive<CorefileWritten>(n => logger.LogInformation(
            "write #{Write} to {Store}: +{Added} -{Removed} hosts, {Redirected} redirected ({Mode} mode){Names}",
            n.Write, n.Store, n.Added.Count, n.Removed.Count, n.Redirected, n.Mode.ToString().ToLowerInvariant(),
            Names("; added ", n.Added) + Names("; removed ", n.Removed)));
        Receive<CorefileUpToDate>(n => logger.LogInformation("{Store} is up to date: {Redirected} hosts redirected, nothing written", n.Store, n.Redirected));
        Receive<CorefileWarning>(n => logger.LogWarning("{Store}: {Warning}", n.Store, n.Warning));
        Receive<GatewayWithdrawn>(n => logger.LogWarning(
            "gateway {Gateway}: Service {Service} has had no ready endpoints for {Grace}; its redirects are withdrawn (clients go straight to their Services)",
            n.Gateway, n.Service, n.Grace));
        Receive<GatewayRestored>(n => logger.LogInformation("gateway {Gateway} is ready again; its redirects are restored", n.Gateway));
        Receive<CorefileRefused>(n => logger.LogError("{Store} is left unchanged: {Reason}", n.Store, n.Reason));
        Receive<WriteLive>(n => logger.LogInformation("write #{Write} is {Propagation}", n.Propagation.Write, n.Propagation.Describe()));
        Receive<WriteNotLive>(n =>
        {
            if (!n.Repeat)
                logger.LogWarning("write #{Write} is {Propagation}", n.Propagation.Write, n.Propagation.Describe());
        });
        // Plans are for the Events and metrics; the log says only which names became partially or shared routed.
        Receive<PlanApplied>(applied => WarnOfCoverage(applied.Plan, logger));
    }

    /// <summary>The redirected hosts the gateway carries only part of, with what it does with them, as last said.</summary>
    private Dictionary<string, HostDecision> _partial = new(StringComparer.Ordinal);

    private void WarnOfCoverage(RedirectPlan plan, ILogger logger)
    {
        var partial = new Dictionary<string, HostDecision>(StringComparer.Ordinal);
        var news = new List<string>();
        foreach (var decision in plan.Decisions.Where(d => d.Status == HostStatus.Redirected && d.Coverage?.Kind is CoverageKind.Partial or CoverageKind.Shared))
        {
            partial[decision.Host] = decision;
            if (!(_partial.TryGetValue(decision.Host, out var said) && (ReferenceEquals(said, decision) || $"{said.Coverage}" == $"{decision.Coverage}")))
                news.Add($"{decision.Host} {decision.Coverage}");
        }
        _partial = partial;
        if (news.Count > 0)
        {
            logger.LogWarning("redirected though the gateway routes only some of their requests to them (canal-cmd canal host NAME explains one): {Hosts}",
                string.Join("; ", news.Take(3)) + (news.Count > 3 ? $"; and {news.Count - 3} more" : ""));
        }
    }

    private static string Names(string label, IReadOnlyList<string> hosts) =>
        hosts.Count == 0 ? "" : label + string.Join(", ", hosts.Take(5)) + (hosts.Count > 5 ? $" and {hosts.Count - 5} more" : "");
}
