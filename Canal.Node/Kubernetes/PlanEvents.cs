using Akka.Actor;
using Canal.DnsWriter;

namespace Canal.Node.Kubernetes;

/// <summary>Hands every applied plan to <see cref="VirtualServiceEvents"/> (the DnsWriter publishes them on its node's event stream).</summary>
internal sealed class PlanEvents : ReceiveActor
{
    public PlanEvents(VirtualServiceEvents events) => Receive<PlanApplied>(applied => events.Observe(applied.Plan));
}
