using Akka.Actor;
using Canal.DnsWriter;

namespace Canal.Node.Kubernetes;

/// <summary>
/// Hands every applied plan to <see cref="VirtualServiceEvents"/>, and each DnsWriter's start on this node (its sync
/// barrier, which comes before its first plan): the DnsWriter publishes both on its node's event stream.
/// </summary>
internal sealed class PlanEvents : ReceiveActor
{
    public PlanEvents(VirtualServiceEvents events)
    {
        Receive<SyncBarrierPassed>(_ => events.TookOver());
        Receive<PlanApplied>(applied => events.Observe(applied.Plan));
    }
}
