using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Canal.Dns;
using Canal.Istio;
using Canal.Pacing;
using Canal.Propagation;

namespace Canal.DnsWriter;

/// <summary>
/// The cluster singleton that serialises every change to CoreDNS. It holds every namespace's claims, the
/// gateways and services; after any start it writes nothing until the source's listing has been applied
/// and stale claims were swept (the sync barrier: <c>DnsWriterActor.Barrier.cs</c>). Then it coalesces changes
/// (debounce, max delay), keeps one write in flight, renders the whole section, and writes conditionally,
/// retrying conflicts with backoff (<c>DnsWriterActor.Writes.cs</c>). Each phase is a behaviour of its own.
/// </summary>
public sealed partial class DnsWriterActor : ReceivePersistentActor, IWithTimers
{
    private const int SnapshotEvery = 500;

    private readonly IDnsConfigStore _store;
    private readonly IActorRef _source;
    private readonly IActorRef _namespaces;
    private readonly IActorRef _virtualServices;
    private readonly DnsWriterSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();

    private readonly HashSet<string> _knownNamespaces = new(StringComparer.Ordinal);
    private readonly RedirectState _state;
    private readonly GatewayReadiness _readiness;
    private readonly WriteRecord _record = new();
    private readonly Debounce _pending;
    private readonly Backoff _backoff;
    private readonly ICoreDnsReplicas? _replicas;
    private readonly PropagationRecord _propagationRecord = new();
    private IActorRef? _propagation;

    /// <param name="replicas">The CoreDNS replicas each write is confirmed in; null: writes are not confirmed.</param>
    public DnsWriterActor(IDnsConfigStore store, IActorRef source, IActorRef namespaces, IActorRef virtualServices, DnsWriterSettings settings, TimeProvider clock, ICoreDnsReplicas? replicas)
    {
        (_store, _source, _namespaces, _virtualServices, _settings, _clock, _replicas) = (store, source, namespaces, virtualServices, settings, clock, replicas);
        _state = new RedirectState(settings.Redirects);
        _readiness = new GatewayReadiness(settings.ReadinessGrace);
        _pending = new Debounce(settings.Debounce, settings.MaxDelay);
        _backoff = new Backoff(settings.RetryMin, settings.RetryMax);

        Recover<SnapshotOffer>(offer => _knownNamespaces.UnionWith(((DnsWriterSnapshot)offer.Snapshot).Namespaces));
        Recover<NamespaceKnown>(known => _knownNamespaces.Add(known.Namespace));
    }

    public override string PersistenceId => "dns-writer";

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IDnsConfigStore store, IActorRef source, IActorRef namespaces, IActorRef virtualServices, DnsWriterSettings settings,
        TimeProvider? clock = null, ICoreDnsReplicas? replicas = null) =>
        Akka.Actor.Props.Create(() => new DnsWriterActor(store, source, namespaces, virtualServices, settings, clock ?? TimeProvider.System, replicas));

    protected override void PreStart()
    {
        if (_replicas != null)
            _propagation = Context.ActorOf(PropagationActor.Props(_replicas, _settings.Propagation, _clock), "propagation");
        base.PreStart();
    }

    protected override void OnReplaySuccess() => StartSync(AfterSync.Write);

    protected override void PostStop()
    {
        _stopping.Cancel();
        base.PostStop();
    }

    /// <summary>What every behaviour shares: taking in state, answering queries, the journal's housekeeping.</summary>
    /// <param name="phase">How the status names this behaviour.</param>
    /// <param name="onChange">What this behaviour does when the desired state changed.</param>
    /// <param name="busy">True while a write is in flight, waits out a backoff, or waits for the barrier.</param>
    /// <param name="paused">True while writing is paused (now, or once the barrier passes).</param>
    private void Common(SyncPhase phase, Action onChange, bool busy, bool paused)
    {
        Command<RegisterNamespace>(Register);
        Command<NamespaceClaims>(claims =>
        {
            var (held, changed) = _state.Hold(claims);
            Sender.Tell(new NamespaceClaimsAccepted(claims.Namespace, held));
            if (changed)
                onChange();
        });
        Command<GatewayObserved>(g => Then(onChange, () => _state.Observe(g.Gateway)));
        Command<GatewayRemoved>(g => Then(onChange, () => _state.RemoveGateway(g.Key)));
        Command<ServiceObserved>(s => Then(onChange, () =>
        {
            _state.Observe(s.Service);
            TrackReadiness(s.Service);
        }));
        Command<ServiceRemoved>(s => Then(onChange, () =>
        {
            _state.RemoveService(s.Key);
            _readiness.Forget(s.Key);
        }));
        Command<ReadinessDeadline>(_ => onChange());
        Command<DnsConfigChanged>(_ => onChange());

        Command<WritePropagation>(_propagationRecord.Update);
        Command<GetDnsWriterStatus>(_ => Sender.Tell(_record.Status(phase, _state.Namespaces.Count, busy || _pending.FirstChange != null, paused, _store.Description) with
        {
            DnsProbe = _replicas?.Description,
            Propagation = _propagation == null ? null : _propagationRecord.Recent,
        }));
        Command<GetHostDecisions>(_ => Sender.Tell(HostDecisions()));
        Command<GetCanalGateways>(_ => Sender.Tell(Gateways()));
        Command<GetNamespaceSummaries>(_ => Sender.Tell(_state.Summaries()));
        Command<GetDnsDiff>(_ => Diff());

        Command<SaveSnapshotSuccess>(s => DeleteMessages(s.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(f => _log.Warning("snapshot failed: {0}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("old journal entries not deleted: {0}", f.Cause.Message));

        // Answers no behaviour waits for any more: a read or write of an earlier incarnation, a listing answered twice
        // (requests repeat every 2 s), a sweep of an earlier epoch.
        Command<ConfigRead>(_ => { });
        Command<WriteFinished>(_ => { });
        Command<StoreFailed>(_ => { });
        Command<RequestListing>(_ => { });
        Command<SyncCompleted>(_ => { });
        Command<NamespacesReported>(_ => { });
        Command<SweepFinished>(_ => { });
        Command<SyncFailed>(_ => { });
    }

    private static void Then(Action onChange, Action change)
    {
        change();
        onChange();
    }

    private void Register(RegisterNamespace register)
    {
        if (_knownNamespaces.Contains(register.Namespace))
        {
            Sender.Tell(new NamespaceRegistered(register.Namespace));
            return;
        }
        var replyTo = Sender;
        Persist(new NamespaceKnown(register.Namespace), known =>
        {
            _knownNamespaces.Add(known.Namespace);
            replyTo.Tell(new NamespaceRegistered(known.Namespace));
            if (LastSequenceNr % SnapshotEvery == 0)
                SaveSnapshot(new DnsWriterSnapshot([.. _knownNamespaces.Order(StringComparer.Ordinal)]));
        });
    }

    /// <summary>A gateway Service with no ready endpoints starts its grace period; one with some ends it.</summary>
    private void TrackReadiness(ClusterService service)
    {
        if (_readiness.Observe(service, _clock.GetUtcNow()))
            Timers.StartSingleTimer($"ready:{service.Key}", ReadinessDeadline.Instance, _settings.ReadinessGrace);
    }

    /// <summary>The plan for a write: settles which gateways are withdrawn now and reports those that changed.</summary>
    private RedirectPlan Plan()
    {
        var gateways = _state.CanalGateways();
        var (withdrawn, restored) = _readiness.Settle(gateways, _clock.GetUtcNow());
        foreach (var gateway in withdrawn)
            Context.System.EventStream.Publish(new GatewayWithdrawn(gateway, gateways[gateway].ServiceKey, _settings.ReadinessGrace));
        foreach (var gateway in restored)
            Context.System.EventStream.Publish(new GatewayRestored(gateway));
        return _state.Plan(gateways, _readiness.Withdrawn);
    }

    private HostDecisions HostDecisions()
    {
        var decisions = new HostDecisions(_record.LastPlan?.Decisions ?? []);
        if (_propagation == null)
            return decisions;
        var (redirected, changed) = _propagationRecord.HostStates();
        return decisions with { DnsOfRedirected = redirected, DnsOfChanged = changed };
    }

    private CanalGatewayList Gateways() => new([.. _state.CanalGateways().Values
        .OrderBy(g => g.Key)
        .Select(g => new CanalGatewayStatus(g.Key, g.Gateway.Selector, [.. g.Gateway.Ports], g.ServiceKey, g.ServiceFqdn, g.ClusterIPs,
            _state.Service(g.ServiceKey)?.ReadyEndpoints, _readiness.Withdrawn.Contains(g.Key)))]);

    /// <summary>Renders now against the store as it is, without writing and without settling anything, and answers the two sections.</summary>
    private void Diff()
    {
        var gateways = _state.CanalGateways();
        var plan = _state.Plan(gateways, _readiness.WithdrawnAt(gateways, _clock.GetUtcNow()));
        var (store, mode, domain, token) = (_store, _settings.Mode, _settings.Redirects.ClusterDomain, _stopping.Token);
        Task.Run(async () =>
        {
            var config = await store.ReadAsync(token);
            var current = CorefileUpdate.SectionLines(config.Content);
            try
            {
                return new DnsDiff(current, CorefileUpdate.SectionLines(CorefileUpdate.Apply(config.Content, plan, mode, domain, WriteMarker.In(config.Content)).Text), null);
            }
            catch (Exception e) when (e is CorefileException or InvalidOperationException)
            {
                return new DnsDiff(current, [], e.Message);
            }
        }).PipeTo(Sender, failure: e => new DnsDiff([], [], e.Message));
    }

    private sealed record ReadinessDeadline
    {
        public static readonly ReadinessDeadline Instance = new();
    }
}
