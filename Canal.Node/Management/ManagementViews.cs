using System.Text.Json;
using Canal.Contracts;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;

namespace Canal.Node.Management;

/// <summary>The actors' answers as the management API's contract (Canal.Contracts) says them.</summary>
internal static class ManagementViews
{
    public static HostView View(HostDecision decision, HostDecisions hosts) =>
        new(decision.Host, decision.Status.ToString().ToLowerInvariant(), decision.Reason, decision.Gateway?.ToString(), [.. decision.Claimers.Select(c => c.ToString())])
        {
            Dns = hosts.DnsOf(decision),
            Coverage = decision.Coverage is { } c ? new CoverageView(c.Kind.ToString().ToLowerInvariant(), c.Summary, c.Port, c.Routes, c.FallsThrough) : null,
        };

    public static ActorNodeView View(ActorNode node) => new(node.Path, node.Name, [.. node.Children.Select(View)]);

    public static VirtualServiceView View(VirtualServiceState state) => new(
        state.Key.ToString(), state.Version, state.Removed, state.ResourceVersion, state.Generation,
        [.. state.Gateways.Select(g => g.ToString())],
        [.. state.Claims.Select(c => new ClaimView(c.Namespace, c.Hosts))],
        [.. state.Skipped.Select(s => new SkippedView(s.Host, s.Path, s.Reason))]);

    public static NamespaceView View(NamespaceClaims claims) => new(
        claims.Namespace, claims.Version,
        [.. claims.Claims.Select(c => new NamespaceClaimView(c.Claimer.ToString(), c.Version, [.. c.Gateways.Select(g => g.ToString())], c.Hosts))]);

    public static DnsView View(DnsWriterStatus status) => new(
        status.Store, status.Phase.ToString(), status.Mode?.ToString().ToLowerInvariant(), status.AppliedVersion, status.LastWrite,
        status.Writes, status.Conflicts, status.Redirected, status.Namespaces, status.ChangesPending, status.Paused, status.LastError, status.Section)
    {
        DnsProbe = status.DnsProbe,
        Reload = status.Reload,
        Propagation = [.. (status.Propagation ?? []).Select(p => new PropagationView(p.Write, p.WrittenAt, JsonNamingPolicy.CamelCase.ConvertName(p.State.ToString()),
            p.Live, p.Replicas, p.Seconds, p.NotLive ?? [], p.Cause, p.Names ?? [], p.Describe()))],
    };
}
