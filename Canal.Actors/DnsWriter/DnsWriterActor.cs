using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Canal.Dns;
using Canal.Istio;
using Canal.Mapping;

namespace Canal.DnsWriter;

/// <summary>
/// The cluster singleton that serialises every change to CoreDNS. It holds every namespace's claims, the
/// gateways and services; after any start it writes nothing until the source's listing has been applied
/// and stale claims were swept (the sync barrier). Then it coalesces changes (debounce, max delay), keeps
/// one write in flight, renders the whole section, and writes conditionally, retrying conflicts with backoff.
/// </summary>
public sealed class DnsWriterActor : ReceivePersistentActor, IWithTimers
{
    private const int SnapshotEvery = 500;
    private const string WriteTimer = "write";
    private static readonly TimeSpan ListingRetry = TimeSpan.FromSeconds(2);

    private readonly IDnsConfigStore _store;
    private readonly IActorRef _source;
    private readonly IActorRef _namespaces;
    private readonly IActorRef _virtualServices;
    private readonly DnsWriterSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();

    private readonly HashSet<string> _knownNamespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NamespaceClaims> _claims = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectKey, Gateway> _gateways = [];
    private readonly Dictionary<ObjectKey, ClusterService> _services = [];
    private readonly Dictionary<ObjectKey, DateTime> _unreadySince = [];
    private HashSet<ObjectKey> _withdrawn = [];
    private readonly DecisionCache _decisions = new();

    private SyncPhase _phase = SyncPhase.WaitingForListing;
    private long _epoch;
    private bool _writing;
    private bool _dirty;
    private DateTime? _firstPending;
    private int _failures;
    private long _writes;
    private long _conflicts;
    private long _oversized;
    private int _redirected;
    private string? _appliedVersion;
    private DateTimeOffset? _lastWrite;
    private string? _lastError;
    private string _lastWarnings = "";
    private bool _firstCheck;
    private bool _retryPending;
    private DateTime _syncStarted;
    private DateTime _listed;
    private bool _paused;
    private DateTime? _writeCarriesChangeFrom;
    private double _lastLatency;
    private double _latencySum;
    private RedirectPlan? _lastPlan;
    private string _appliedText = "";
    private DnsMode? _appliedMode;

    public DnsWriterActor(IDnsConfigStore store, IActorRef source, IActorRef namespaces, IActorRef virtualServices, DnsWriterSettings settings)
    {
        _store = store;
        _source = source;
        _namespaces = namespaces;
        _virtualServices = virtualServices;
        _settings = settings;

        Recover<SnapshotOffer>(offer => _knownNamespaces.UnionWith(((DnsWriterSnapshot)offer.Snapshot).Namespaces));
        Recover<NamespaceKnown>(known => _knownNamespaces.Add(known.Namespace));

        Command<RegisterNamespace>(Register);
        Command<NamespaceClaims>(Accept);
        Command<GatewayObserved>(g =>
        {
            _gateways[g.Gateway.Key] = g.Gateway;
            _decisions.Clear();
            Changed();
        });
        Command<GatewayRemoved>(g =>
        {
            _gateways.Remove(g.Key);
            _decisions.Clear();
            Changed();
        });
        Command<ServiceObserved>(s =>
        {
            _services[s.Service.Key] = s.Service;
            _decisions.Clear();
            TrackReadiness(s.Service);
            Changed();
        });
        Command<ServiceRemoved>(s =>
        {
            _services.Remove(s.Key);
            _unreadySince.Remove(s.Key);
            _decisions.Clear();
            Changed();
        });
        Command<ReadinessDeadline>(_ => Changed());
        Command<DnsConfigChanged>(_ => Changed());

        Command<RequestListing>(_ =>
        {
            if (_phase == SyncPhase.WaitingForListing)
                _source.Tell(new SyncRequested(_epoch, [.. _knownNamespaces]));
        });
        Command<ResyncRequested>(_ =>
        {
            if (_phase != SyncPhase.WaitingForListing)
                StartSync();
        });
        Command<SyncCompleted>(OnSyncCompleted);
        Command<NamespacesReported>(OnNamespacesReported);
        Command<SweepFinished>(OnSweepFinished);
        Command<SyncFailed>(failed =>
        {
            if (failed.Epoch != _epoch || _phase != SyncPhase.Sweeping)
                return;
            _log.Warning("sync failed ({0}); asking the source for a new listing", failed.Cause.Message);
            StartSync();
        });

        Command<WriteNow>(_ => StartWrite());
        Command<ConfigRead>(OnConfigRead);
        Command<WriteFinished>(OnWriteFinished);
        Command<StoreFailed>(OnStoreFailed);
        Command<GetDnsWriterStatus>(_ => Sender.Tell(Status()));
        Command<GetHostDecisions>(_ => Sender.Tell(new HostDecisions(_lastPlan?.Decisions ?? [])));
        Command<GetCanalGateways>(_ => Sender.Tell(Gateways()));
        Command<GetNamespaceSummaries>(_ => Sender.Tell(new NamespaceSummaries([.. _claims.Values
            .OrderBy(n => n.Namespace, StringComparer.Ordinal)
            .Select(n => new NamespaceSummary(n.Namespace, n.Claims.Count, n.Claims.SelectMany(c => c.Hosts).Distinct().Count(), n.Version))])));
        Command<GetDnsDiff>(_ => Diff());
        Command<RestoreBackup>(_ =>
        {
            // Paused first: otherwise the next check would put Canal's section straight back.
            _paused = true;
            Task.Run(() => _store.RestoreBackupAsync(_stopping.Token)).PipeTo(Sender,
                success: r => new BackupRestored(r.Restored, r.Message),
                failure: e => new BackupRestored(false, e.Message));
        });
        Command<ResumeWrites>(_ =>
        {
            _paused = false;
            Changed();
            Sender.Tell(WritesResumed.Instance);
        });

        Command<SaveSnapshotSuccess>(s => DeleteMessages(s.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(f => _log.Warning("snapshot failed: {0}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("old journal entries not deleted: {0}", f.Cause.Message));
    }

    public override string PersistenceId => "dns-writer";

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IDnsConfigStore store, IActorRef source, IActorRef namespaces, IActorRef virtualServices, DnsWriterSettings settings) =>
        Akka.Actor.Props.Create(() => new DnsWriterActor(store, source, namespaces, virtualServices, settings));

    protected override void OnReplaySuccess() => StartSync();

    protected override void PostStop()
    {
        _stopping.Cancel();
        base.PostStop();
    }

    private void StartSync()
    {
        _phase = SyncPhase.WaitingForListing;
        _syncStarted = DateTime.UtcNow;
        _epoch = VersionStamp.Next(_epoch);
        _log.Debug("sync barrier closed: waiting for the source's listing (epoch {0})", _epoch);
        // The source may not be up yet (or may be moving with us after a hand-over): ask every couple of seconds
        // until it answers, so a request lost to a singleton proxy that was still looking costs little.
        Timers.StartPeriodicTimer("listing", RequestListing.Instance, TimeSpan.Zero, ListingRetry);
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

    private void Accept(NamespaceClaims claims)
    {
        var held = Hold(claims);
        Sender.Tell(new NamespaceClaimsAccepted(claims.Namespace, held));
    }

    /// <summary>Keeps the newer of the held and the given set; returns the version now held.</summary>
    private long Hold(NamespaceClaims claims)
    {
        if (_claims.TryGetValue(claims.Namespace, out var held) && held.Version >= claims.Version)
            return held.Version;
        _claims[claims.Namespace] = claims;
        Changed();
        return claims.Version;
    }

    private void OnSyncCompleted(SyncCompleted sync)
    {
        if (sync.Epoch != _epoch || _phase != SyncPhase.WaitingForListing)
            return;
        Timers.Cancel("listing");
        _phase = SyncPhase.Sweeping;
        _listed = DateTime.UtcNow;
        _gateways.Clear();
        foreach (var gateway in sync.Gateways)
            _gateways[gateway.Key] = gateway;
        _services.Clear();
        foreach (var service in sync.Services)
        {
            _services[service.Key] = service;
            TrackReadiness(service);
        }
        foreach (var gone in _unreadySince.Keys.Where(k => !_services.ContainsKey(k)).ToList())
            _unreadySince.Remove(gone);
        _decisions.Clear();

        var alive = sync.VirtualServices.ToDictionary(v => v.Key, v => v.Namespaces);
        var epoch = _epoch;
        var asks = _knownNamespaces.Select(ns => _namespaces.Ask<NamespaceClaims>(new ReportClaims(ns), _settings.SweepAskTimeout));
        Task.WhenAll(asks).PipeTo(Self,
            success: reports => new NamespacesReported(epoch, reports, alive, sync.Complete),
            failure: e => new SyncFailed(epoch, e));
    }

    private void OnNamespacesReported(NamespacesReported reported)
    {
        if (reported.Epoch != _epoch || _phase != SyncPhase.Sweeping)
            return;
        foreach (var report in reported.Reports)
            Hold(report);
        // Claims of VirtualServices that vanished while Canal was down, or that no longer route into that namespace:
        // release them there, and let the actors of vanished ones forget them. Claims stamped after the sync started
        // come from VirtualServices created or changed since: alive, whatever the listing says.
        var dead = reported.Complete
            ? _claims.Values
                .SelectMany(ns => ns.Claims.Where(c => c.Version < _epoch && !Claims(reported.Alive, c.Claimer, ns.Namespace)).Select(c => (ns.Namespace, c.Claimer)))
                .ToList()
            : [];
        if (!reported.Complete)
            _log.Warning("the source's listing is incomplete (unreadable objects): no claims are swept until it is complete");
        var releases = dead.GroupBy(d => d.Namespace)
            .Select(g => (Task)_namespaces.Ask<ClaimersReleased>(new ReleaseClaimers(g.Key, [.. g.Select(d => d.Claimer)], _epoch), _settings.SweepAskTimeout));
        var removals = dead.Select(d => d.Claimer).Distinct().Where(k => !reported.Alive.ContainsKey(k))
            .Select(k => (Task)_virtualServices.Ask<VirtualServiceApplied>(new RemoveVirtualService(k, _epoch), _settings.SweepAskTimeout));
        var epoch = _epoch;
        var swept = dead.Select(d => d.Claimer).Distinct().Count();
        Task.WhenAll(releases.Concat(removals)).PipeTo(Self,
            success: () => new SweepFinished(epoch, swept, reported.Alive.Count),
            failure: e => new SyncFailed(epoch, e));
    }

    /// <summary>True when the listing says <paramref name="claimer"/> claims in <paramref name="ns"/> (or cannot say which namespaces it does).</summary>
    private static bool Claims(Dictionary<ObjectKey, IReadOnlyList<string>?> alive, ObjectKey claimer, string ns) =>
        alive.TryGetValue(claimer, out var namespaces) && (namespaces == null || namespaces.Contains(ns));

    private void OnSweepFinished(SweepFinished finished)
    {
        if (finished.Epoch != _epoch || _phase != SyncPhase.Sweeping)
            return;
        _phase = SyncPhase.Ready;
        Context.System.EventStream.Publish(new SyncBarrierPassed(finished.Listed, _knownNamespaces.Count, finished.Swept, Plan().Redirects.Count)
        {
            Listing = _listed - _syncStarted,
            Sweep = DateTime.UtcNow - _listed,
        });
        _firstCheck = true;
        Timers.StartPeriodicTimer("drift", WriteNow.Instance, _settings.DriftCheck);
        Self.Tell(WriteNow.Instance);
    }

    private void Changed()
    {
        _dirty = true;
        // While a retry waits out its backoff, new changes ride on it rather than hammer a failing store.
        if (_phase != SyncPhase.Ready || _writing || _retryPending)
            return;
        var now = DateTime.UtcNow;
        _firstPending ??= now;
        var due = Min(now + _settings.Debounce, _firstPending.Value + _settings.MaxDelay);
        Timers.StartSingleTimer(WriteTimer, WriteNow.Instance, Max(due - now, TimeSpan.Zero));
    }

    private void StartWrite()
    {
        if (_phase != SyncPhase.Ready || _writing || _paused)
            return;
        if (!ClusterSettled())
        {
            // A member is unreachable: this may be the minority side of a partition, whose singleton is about to
            // be replaced. Write nothing until the split brain resolver has decided.
            _dirty = true;
            Timers.StartSingleTimer(WriteTimer, WriteNow.Instance, TimeSpan.FromSeconds(1));
            return;
        }
        _writing = true;
        _retryPending = false;
        _dirty = false;
        _writeCarriesChangeFrom ??= _firstPending ?? DateTime.UtcNow;
        _firstPending = null;
        Timers.Cancel(WriteTimer);
        // Task.Run: a store that throws instead of returning a faulted task must not crash the writer.
        Task.Run(() => _store.ReadAsync(_stopping.Token)).PipeTo(Self,
            success: config => new ConfigRead(config),
            failure: e => new StoreFailed(e));
    }

    private void OnConfigRead(ConfigRead read)
    {
        // A read started by an earlier incarnation (same ActorRef after a restart) is not ours to finish,
        // and one that returns after the barrier closed again (a resync) must not write.
        if (!_writing)
            return;
        if (_phase != SyncPhase.Ready)
        {
            _writing = false;
            _dirty = true;
            return;
        }
        var config = read.Config;
        if (config.Fence > _epoch)
        {
            // A DnsWriter started after this one has written: this is the stale side of a partition or a
            // hand-over. Never write again; the cluster is about to stop this incarnation.
            _writing = false;
            _paused = true;
            Context.System.EventStream.Publish(new CorefileRefused(_store.Description, $"a newer DnsWriter (epoch {config.Fence}) writes it now; this one (epoch {_epoch}) stops writing"));
            return;
        }
        CorefileUpdate update;
        try
        {
            update = CorefileUpdate.Apply(config.Content, Plan(), _settings.Mode, _settings.Redirects.ClusterDomain);
        }
        catch (Exception e) when (e is CorefileException or InvalidOperationException)
        {
            // Left untouched and reported; tried again on the next change or drift check.
            if (_lastError != e.Message)
                Context.System.EventStream.Publish(new CorefileRefused(_store.Description, e.Message));
            _lastError = e.Message;
            FinishWrite();
            return;
        }
        if (config.Capacity is { } capacity && Encoding.UTF8.GetByteCount(update.Text) is var size && size > capacity)
        {
            // Writing would fail on every retry (the API server's size limit): keep the last good Corefile.
            var reason = $"the Corefile with {update.Plan.Redirects.Count} redirects would take {size:N0} bytes, over the {capacity:N0} its store allows " +
                $"({update.Mode} mode); the last good one is kept. Fewer redirects, hosts mode (shorter lines) or a shorter gateway name make it fit";
            if (_lastError != reason)
                Context.System.EventStream.Publish(new CorefileRefused(_store.Description, reason));
            _lastError = reason;
            _oversized++;
            FinishWrite();
            return;
        }
        var warnings = string.Join("; ", update.Warnings);
        if (warnings.Length > 0 && warnings != _lastWarnings)
            Context.System.EventStream.Publish(new CorefileWarning(_store.Description, warnings));
        _lastWarnings = warnings;
        if (update.Text == config.Content)
        {
            _appliedVersion = config.Version;
            _redirected = update.Plan.Redirects.Count;
            _lastError = null;
            _failures = 0;
            (_lastPlan, _appliedText, _appliedMode) = (update.Plan, config.Content, update.Mode);
            _writeCarriesChangeFrom = null;
            if (_firstCheck)
                Context.System.EventStream.Publish(new CorefileUpToDate(_store.Description, _redirected));
            Context.System.EventStream.Publish(new PlanApplied(update.Plan));
            _firstCheck = false;
            FinishWrite();
            return;
        }
        Task.Run(() => _store.WriteAsync(update.Text, config.Version, _epoch, _stopping.Token)).PipeTo(Self,
            success: result => new WriteFinished(result, config.Content, update),
            failure: e => new StoreFailed(e));
    }

    private void OnWriteFinished(WriteFinished finished)
    {
        if (!_writing)
            return;
        if (finished.Result is DnsWriteResult.Conflict conflict)
        {
            _conflicts++;
            _log.Info("{0} changed under us ({1}); reading it again", _store.Description, conflict.Detail);
            RetryLater();
            return;
        }
        var written = (DnsWriteResult.Written)finished.Result;
        _writes++;
        _failures = 0;
        _lastLatency = (DateTime.UtcNow - (_writeCarriesChangeFrom ?? DateTime.UtcNow)).TotalSeconds;
        _latencySum += _lastLatency;
        _writeCarriesChangeFrom = null;
        _firstCheck = false;
        _appliedVersion = written.NewVersion;
        _lastWrite = DateTimeOffset.UtcNow;
        _lastError = null;
        _redirected = finished.Update.Plan.Redirects.Count;
        (_lastPlan, _appliedText, _appliedMode) = (finished.Update.Plan, finished.Update.Text, finished.Update.Mode);
        var before = CorefileUpdate.RedirectedHosts(finished.Before);
        var after = CorefileUpdate.RedirectedHosts(finished.Update.Text);
        var added = after.Except(before).ToList();
        var removed = before.Except(after).ToList();
        Context.System.EventStream.Publish(new PlanApplied(finished.Update.Plan));
        Context.System.EventStream.Publish(new CorefileWritten(_writes, _store.Description, finished.Update.Mode, _redirected, added, removed));
        FinishWrite();
    }

    private void OnStoreFailed(StoreFailed failed)
    {
        if (!_writing)
            return;
        _lastError = failed.Cause.Message;
        _log.Warning("{0} could not be read or written ({1}); retrying", _store.Description, failed.Cause.Message);
        RetryLater();
    }

    private void RetryLater()
    {
        _writing = false;
        _dirty = true;
        _retryPending = true;
        var delay = TimeSpan.FromTicks(Math.Min(_settings.RetryMax.Ticks, _settings.RetryMin.Ticks << Math.Min(_failures++, 16)));
        Timers.StartSingleTimer(WriteTimer, WriteNow.Instance, delay);
    }

    private void FinishWrite()
    {
        _writing = false;
        if (_dirty)
            Changed();
    }

    private bool ClusterSettled()
    {
        if (((ExtendedActorSystem)Context.System).Provider is not Akka.Cluster.IClusterActorRefProvider)
            return true;
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        return cluster.SelfMember.Status == Akka.Cluster.MemberStatus.Up && cluster.State.Unreachable.Count == 0;
    }

    /// <summary>A gateway Service with no ready endpoints starts its grace period; one with some ends it.</summary>
    private void TrackReadiness(ClusterService service)
    {
        if (service.ReadyEndpoints != 0)
            _unreadySince.Remove(service.Key);
        else if (_unreadySince.TryAdd(service.Key, DateTime.UtcNow))
            Timers.StartSingleTimer($"ready:{service.Key}", ReadinessDeadline.Instance, _settings.ReadinessGrace);
    }

    private RedirectPlan Plan()
    {
        var claims = new Dictionary<string, List<HostClaimant>>(StringComparer.Ordinal);
        foreach (var claim in _claims.Values.SelectMany(ns => ns.Claims))
        {
            for (var i = 0; i < claim.Hosts.Count; i++)
            {
                if (!claims.TryGetValue(claim.Hosts[i], out var list))
                    claims[claim.Hosts[i]] = list = [];
                list.Add(new HostClaimant(claim.Claimer, claim.RoutesOf(i)));
            }
        }
        var canalGateways = CanalGateway.Find(_gateways.Values, _services.Values, _settings.Redirects);
        var now = DateTime.UtcNow;
        var withdrawn = canalGateways.Values
            .Where(g => _unreadySince.TryGetValue(g.ServiceKey, out var since) && now - since >= _settings.ReadinessGrace)
            .Select(g => g.Key)
            .ToHashSet();
        foreach (var gateway in withdrawn.Except(_withdrawn))
            Context.System.EventStream.Publish(new GatewayWithdrawn(gateway, canalGateways[gateway].ServiceKey, _settings.ReadinessGrace));
        foreach (var gateway in _withdrawn.Except(withdrawn))
            Context.System.EventStream.Publish(new GatewayRestored(gateway));
        if (!withdrawn.SetEquals(_withdrawn))
            _decisions.Clear();
        _withdrawn = withdrawn;
        return _decisions.Decide(claims.ToDictionary(c => c.Key, c => (IReadOnlyList<HostClaimant>)c.Value), canalGateways, _services.Values, _settings.Redirects, withdrawn);
    }

    private DnsWriterStatus Status() => new(
        _phase, _claims.Count, _redirected, _writes, _conflicts, _appliedVersion, _lastWrite, _dirty || _writing, _lastError)
    {
        Store = _store.Description,
        Mode = _appliedMode,
        Section = CorefileUpdate.SectionLines(_appliedText),
        Paused = _paused,
        Oversized = _oversized,
        LastWriteLatencySeconds = _lastLatency,
        WriteLatencySecondsSum = _latencySum,
    };

    private CanalGatewayList Gateways()
    {
        return new CanalGatewayList([.. CanalGateway.Find(_gateways.Values, _services.Values, _settings.Redirects).Values
            .OrderBy(g => g.Key)
            .Select(g => new CanalGatewayStatus(g.Key, g.Gateway.Selector, [.. g.Gateway.Ports], g.ServiceKey, g.ServiceFqdn, g.ClusterIPs,
                g.Service?.ReadyEndpoints, _withdrawn.Contains(g.Key)))]);
    }

    /// <summary>Renders now against the store as it is, without writing, and answers the two sections.</summary>
    private void Diff()
    {
        var plan = Plan();
        var (store, mode, domain, token) = (_store, _settings.Mode, _settings.Redirects.ClusterDomain, _stopping.Token);
        Task.Run(async () =>
        {
            var config = await store.ReadAsync(token);
            var current = CorefileUpdate.SectionLines(config.Content);
            try
            {
                return new DnsDiff(current, CorefileUpdate.SectionLines(CorefileUpdate.Apply(config.Content, plan, mode, domain).Text), null);
            }
            catch (Exception e) when (e is CorefileException or InvalidOperationException)
            {
                return new DnsDiff(current, [], e.Message);
            }
        }).PipeTo(Sender, failure: e => new DnsDiff([], [], e.Message));
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record RequestListing
    {
        public static readonly RequestListing Instance = new();
    }

    private sealed record ReadinessDeadline
    {
        public static readonly ReadinessDeadline Instance = new();
    }

    private sealed record WriteNow
    {
        public static readonly WriteNow Instance = new();
    }

    private sealed record NamespacesReported(long Epoch, NamespaceClaims[] Reports, Dictionary<ObjectKey, IReadOnlyList<string>?> Alive, bool Complete);

    private sealed record SweepFinished(long Epoch, int Swept, int Listed);

    private sealed record SyncFailed(long Epoch, Exception Cause);

    private sealed record ConfigRead(DnsConfig Config);

    private sealed record WriteFinished(DnsWriteResult Result, string Before, CorefileUpdate Update);

    private sealed record StoreFailed(Exception Cause);
}
