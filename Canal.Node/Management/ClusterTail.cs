using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace Canal.Node.Management;

/// <summary>Forwards cluster membership events, one line each, to a <c>cluster tail</c> request while it is open.</summary>
internal sealed class ClusterTail : ReceiveActor
{
    public ClusterTail(ChannelWriter<string> lines)
    {
        Receive<ClusterEvent.IMemberEvent>(e => lines.TryWrite($"{e.GetType().Name} {e.Member.Address} {e.Member.Status}"));
        Receive<ClusterEvent.UnreachableMember>(e => lines.TryWrite($"Unreachable {e.Member.Address} {e.Member.Status}"));
        Receive<ClusterEvent.ReachableMember>(e => lines.TryWrite($"Reachable {e.Member.Address} {e.Member.Status}"));
        Receive<ClusterEvent.LeaderChanged>(e => lines.TryWrite($"LeaderChanged {e.Leader}"));
    }

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.ReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}
