using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// One VirtualService (entity <c>namespace/name</c>). Derives its claims from the spec the source delivers and
/// sends each affected NamespaceActor its full claim there; answers the source only when all have accepted, so
/// an answered change is never lost. It holds its claims in memory only: the namespaces are their durable record,
/// and the source's <see cref="LastApplied"/> tells an actor started afresh what it claimed before.
/// </summary>
public sealed class VirtualServiceActor : ReceiveActor
{
    private readonly ObjectKey _key;
    private readonly IActorRef _namespaces;
    private readonly RedirectOptions _options;
    private readonly TimeSpan _askTimeout;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private VirtualServiceState? _state;

    public VirtualServiceActor(string entityId, IActorRef namespaces, RedirectOptions options, TimeSpan askTimeout, TimeProvider clock)
    {
        _key = ObjectKey.Parse(entityId, "");
        _namespaces = namespaces;
        _options = options;
        _askTimeout = askTimeout;
        _clock = clock;

        Receive<ObserveVirtualService>(Observe);
        Receive<RemoveVirtualService>(Remove);
        Receive<DescribeVirtualService>(describe => Sender.Tell(_state ?? Derive(describe.Current, describe.Current.Last?.Version ?? 0)));
        Receive<Delivered>(OnDelivered);
        Receive<DeliveryFailed>(failed =>
        {
            _log.Warning("{0}: claims not accepted yet ({1}); the source will retry", _key, failed.Cause.Message);
            failed.ReplyTo.Tell(new Status.Failure(failed.Cause));
        });
    }

    /// <summary>Created by a producer, not from an expression: a sync starts 100k of them, and reflection was 4% of a restart's CPU.</summary>
    public static Props Props(string entityId, IActorRef namespaces, RedirectOptions options, TimeSpan askTimeout, TimeProvider? clock = null) =>
        Akka.Actor.Props.CreateBy(new Producer(() => new VirtualServiceActor(entityId, namespaces, options, askTimeout, clock ?? TimeProvider.System)));

    private void Observe(ObserveVirtualService observe)
    {
        var derived = Derive(observe, version: 0);
        var claimed = derived.Claims;
        var before = (_state?.ClaimedNamespaces() ?? []).Union(observe.Last?.Namespaces ?? []);
        var released = before.Where(ns => claimed.All(c => c.Namespace != ns)).Select(ns => new NamespaceHosts(ns, [], []));
        var claims = claimed.Concat(released).OrderBy(c => c.Namespace, StringComparer.Ordinal).ToList();

        if (_state == null && claims.Count == 0 && derived.Skipped.Count == 0)
        {
            Sender.Tell(new VirtualServiceApplied(_key, 0, []));
            return;
        }
        if (_state is { Removed: false } held && held.Source == derived.Source && held.Gateways.SequenceEqual(derived.Gateways)
            && SameClaims(held.Claims, claims) && held.Skipped.SequenceEqual(derived.Skipped))
        {
            // Nothing changed, but a claim may have been lost in a crash before its namespace stored it: send it again.
            Deliver(Sender, removal: false);
            return;
        }
        _state = derived with { Version = NextVersion(observe.Last), Claims = claims };
        Deliver(Sender, removal: false);
    }

    private void Remove(RemoveVirtualService remove)
    {
        if (_state != null && _state.Version >= remove.Before)
        {
            Sender.Tell(new VirtualServiceApplied(_key, _state.Version, _state.ClaimedNamespaces()));
            return;
        }
        var namespaces = (_state?.ClaimedNamespaces() ?? []).Union(remove.Last?.Namespaces ?? []).Order(StringComparer.Ordinal).ToList();
        if (namespaces.Count == 0)
        {
            Sender.Tell(new VirtualServiceApplied(_key, _state?.Version ?? 0, []));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }
        _state = new VirtualServiceState(_key, NextVersion(remove.Last), true, _state?.ResourceVersion, _state?.Generation ?? 0,
            _state?.Gateways ?? [], [.. namespaces.Select(ns => new NamespaceHosts(ns, [], []))], []);
        Deliver(Sender, removal: true);
    }

    /// <summary>The state <paramref name="observe"/> gives, claims grouped by namespace; released namespaces are the caller's.</summary>
    private VirtualServiceState Derive(ObserveVirtualService observe, long version)
    {
        var extracted = VirtualServiceClaims.Extract(observe.Spec, observe.Roots, _options);
        // A VirtualService bound to no gateway (mesh only) claims nothing; the DnsWriter decides which gateways are canal's.
        var claims = extracted.Gateways.Count == 0
            ? []
            : extracted.Hosts.GroupBy(h => h.Namespace)
                .Select(g =>
                {
                    var hosts = g.OrderBy(h => h.Host, StringComparer.Ordinal).ToList();
                    return new NamespaceHosts(g.Key, [.. hosts.Select(h => h.Host)], [.. hosts.Select(h => h.Routes)]);
                })
                .OrderBy(c => c.Namespace, StringComparer.Ordinal)
                .ToList();
        return new VirtualServiceState(_key, version, false, observe.Spec.ResourceVersion, observe.Spec.Generation, extracted.Gateways, claims, extracted.Skipped,
            ClaimSource.Claiming(ClaimSource.Of(observe.Spec, observe.Roots, _options), claims.Select(c => c.Namespace)));
    }

    /// <summary>After every version this VirtualService's claims carried, whichever incarnation stamped them.</summary>
    private long NextVersion(LastApplied? last) => VersionStamp.Next(Math.Max(_state?.Version ?? 0, last?.Version ?? 0), _clock);

    private void Deliver(IActorRef replyTo, bool removal)
    {
        var state = _state!;
        var asks = state.Claims.Select(c => _namespaces.Ask<ClaimAccepted>(
            new UpdateClaim(c.Namespace, new NamespaceClaim(_key, state.Version, state.Gateways, c.Hosts, c.Routes, state.Source)), _askTimeout));
        Task.WhenAll(asks).PipeTo(Self,
            success: _ => new Delivered(replyTo, state.Version, removal, state.ClaimedNamespaces()),
            failure: e => new DeliveryFailed(replyTo, e));
    }

    private void OnDelivered(Delivered delivered)
    {
        delivered.ReplyTo.Tell(new VirtualServiceApplied(_key, delivered.Version, delivered.Namespaces));
        // Every namespace holds what it claims and the source knows it (LastApplied): nothing needs to stay. Stopping
        // here, not on an idle timer, keeps a sync of 100k from holding 100k entities, and never stops one mid-delivery.
        if (_state?.Version == delivered.Version)
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private static bool SameClaims(IReadOnlyList<NamespaceHosts> a, IReadOnlyList<NamespaceHosts> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Namespace == p.Second.Namespace
            && p.First.Hosts.SequenceEqual(p.Second.Hosts, StringComparer.Ordinal)
            && (p.First.Routes ?? []).SequenceEqual(p.Second.Routes ?? []));

    private sealed class Producer(Func<VirtualServiceActor> create) : IIndirectActorProducer
    {
        public Type ActorType => typeof(VirtualServiceActor);

        public ActorBase Produce() => create();

        public void Release(ActorBase actor)
        {
        }
    }

    private sealed record Delivered(IActorRef ReplyTo, long Version, bool Removal, IReadOnlyList<string> Namespaces);

    private sealed record DeliveryFailed(IActorRef ReplyTo, Exception Cause);
}
