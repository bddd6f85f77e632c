using Akka.Actor;
using Canal.Propagation;

namespace Canal.Node.Management;

/// <summary>Counts what the propagation probe publishes: how long each write took to be live everywhere, and the writes that were not in time.</summary>
internal sealed class PropagationMetrics : ReceiveActor
{
    public PropagationMetrics()
    {
        Receive<WriteLive>(n => CanalMetrics.Propagation.Record(n.Propagation.Seconds));
        Receive<WriteNotLive>(_ => CanalMetrics.NotLive.Add(1));
    }
}
