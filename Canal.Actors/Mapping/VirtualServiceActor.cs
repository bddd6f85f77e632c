using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// One VirtualService (entity <c>namespace/name</c>). Owns the claims derived from its last seen spec and
/// sends each affected NamespaceActor its full claim there; answers the source only when all have
/// accepted, so an answered change is never lost. On delete it releases everything, then forgets itself.
/// </summary>
public sealed class VirtualServiceActor : ReceivePersistentActor
{
    private readonly ObjectKey _key;
    private readonly IActorRef _namespaces;
    private readonly RedirectOptions _options;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private VirtualServiceRecorded? _state;
    private bool _removed;

    public VirtualServiceActor(string entityId, IActorRef namespaces, RedirectOptions options, TimeSpan askTimeout)
    {
        _key = ObjectKey.Parse(entityId, "");
        _namespaces = namespaces;
        _options = options;
        _askTimeout = askTimeout;

        Recover<VirtualServiceRecorded>(e =>
        {
            _state = e;
            _removed = false;
        });
        Recover<VirtualServiceRemoved>(Apply);

        Command<ObserveVirtualService>(Observe);
        Command<RemoveVirtualService>(Remove);
        Command<Delivered>(OnDelivered);
        Command<DeliveryFailed>(failed =>
        {
            _log.Warning("{0}: claims not accepted yet ({1}); the source will retry", _key, failed.Cause.Message);
            failed.ReplyTo.Tell(new Status.Failure(failed.Cause));
        });
        Command<GetVirtualServiceState>(_ => Sender.Tell(State()));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("{0}: old journal entries not deleted: {1}", _key, f.Cause.Message));
    }

    public override string PersistenceId => $"virtualservice-{_key}";

    /// <summary>It keeps only its latest event and never snapshots: recovery need not ask the snapshot store (one query less per entity).</summary>
    public override Recovery Recovery => new(SnapshotSelectionCriteria.None);

    public static Props Props(string entityId, IActorRef namespaces, RedirectOptions options, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new VirtualServiceActor(entityId, namespaces, options, askTimeout));

    private void Observe(ObserveVirtualService observe)
    {
        var extracted = VirtualServiceClaims.Extract(observe.Spec, observe.Roots, _options);
        var gateways = extracted.Gateways;
        // A VirtualService bound to no gateway (mesh only) claims nothing; the DnsWriter decides which gateways are canal's.
        var claimed = gateways.Count == 0
            ? []
            : extracted.Hosts.GroupBy(h => h.Namespace)
                .Select(g =>
                {
                    var hosts = g.OrderBy(h => h.Host, StringComparer.Ordinal).ToList();
                    return new NamespaceHosts(g.Key, [.. hosts.Select(h => h.Host)], [.. hosts.Select(h => h.Routes)]);
                })
                .ToList();
        var released = (_state?.Claims ?? []).Where(old => claimed.All(c => c.Namespace != old.Namespace)).Select(old => old.Released());
        var claims = claimed.Concat(released).OrderBy(c => c.Namespace, StringComparer.Ordinal).ToList();

        if (_state == null && claims.Count == 0 && extracted.Skipped.Count == 0)
        {
            Sender.Tell(new VirtualServiceApplied(_key, 0));
            return;
        }
        if (!_removed && _state != null && _state.Gateways.SequenceEqual(gateways) && SameClaims(_state.Claims, claims) && _state.Skipped.SequenceEqual(extracted.Skipped))
        {
            // Nothing changed, but a claim may have been lost in a crash before its namespace stored it: send it again.
            Deliver(Sender, removal: false);
            return;
        }

        var replyTo = Sender;
        var recorded = new VirtualServiceRecorded(
            VersionStamp.Next(_state?.Version ?? 0), observe.Spec.ResourceVersion, observe.Spec.Generation, gateways, claims, extracted.Skipped);
        Persist(recorded, e =>
        {
            _state = e;
            _removed = false;
            Deliver(replyTo, removal: false);
            if (LastSequenceNr > 1)
                DeleteMessages(LastSequenceNr - 1);
        });
    }

    private void Remove(RemoveVirtualService remove)
    {
        if (_state != null && _state.Version >= remove.Before)
        {
            Sender.Tell(new VirtualServiceApplied(_key, _state.Version));
            return;
        }
        if (_state == null)
        {
            Sender.Tell(new VirtualServiceApplied(_key, 0));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }
        var replyTo = Sender;
        Persist(new VirtualServiceRemoved(VersionStamp.Next(_state.Version)), e =>
        {
            Apply(e);
            Deliver(replyTo, removal: true);
        });
    }

    private void Apply(VirtualServiceRemoved removed)
    {
        _removed = true;
        _state = _state! with { Version = removed.Version, Claims = [.. _state.Claims.Select(c => c.Released())] };
    }

    private void Deliver(IActorRef replyTo, bool removal)
    {
        var state = _state!;
        var asks = state.Claims.Select(c => _namespaces.Ask<ClaimAccepted>(
            new UpdateClaim(c.Namespace, new NamespaceClaim(_key, state.Version, state.Gateways, c.Hosts, c.Routes)), _askTimeout));
        Task.WhenAll(asks).PipeTo(Self,
            success: _ => new Delivered(replyTo, state.Version, removal),
            failure: e => new DeliveryFailed(replyTo, e));
    }

    private void OnDelivered(Delivered delivered)
    {
        delivered.ReplyTo.Tell(new VirtualServiceApplied(_key, delivered.Version));
        if (delivered.Removal && _removed && _state?.Version == delivered.Version)
        {
            // Every namespace has the release; nothing of this VirtualService needs to survive.
            DeleteMessages(LastSequenceNr);
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
    }

    private VirtualServiceState State() => new(
        _key, _state?.Version ?? 0, _removed, _state?.ResourceVersion, _state?.Generation ?? 0,
        _state?.Gateways ?? [], _state?.Claims ?? [], _state?.Skipped ?? [], LastSequenceNr);

    private static bool SameClaims(IReadOnlyList<NamespaceHosts> a, IReadOnlyList<NamespaceHosts> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Namespace == p.Second.Namespace
            && p.First.Hosts.SequenceEqual(p.Second.Hosts, StringComparer.Ordinal)
            && (p.First.Routes ?? []).SequenceEqual(p.Second.Routes ?? []));

    private sealed record Delivered(IActorRef ReplyTo, long Version, bool Removal);

    private sealed record DeliveryFailed(IActorRef ReplyTo, Exception Cause);
}
