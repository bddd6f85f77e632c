using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Canal.DnsWriter;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// The source singleton. Holds the adapter's latest <see cref="SourceView"/> and feeds the pipeline from it:
/// on the DnsWriter's <see cref="SyncRequested"/> it delivers every VirtualService (waiting until each is
/// applied) and answers <see cref="SyncCompleted"/>; afterwards it delivers only what changed. One delivery
/// runs at a time; views arriving meanwhile collapse into the latest.
/// </summary>
public sealed class SourceActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);
    private const int Parallelism = 64;

    private readonly IObjectSource _source;
    private readonly IActorRef _virtualServices;
    private readonly IActorRef _namespaces;
    private readonly RedirectOptions _options;
    private readonly string _dnsWriterPath;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private SourceView? _view;
    private bool _viewChanged;
    private IActorRef? _dnsWriter;
    private long? _syncEpoch;
    private bool _synced;
    private bool _busy;
    private bool _syncedComplete = true;
    private readonly Dictionary<ObjectKey, Delivered> _delivered = [];
    private readonly Dictionary<ObjectKey, LastApplied> _applied = [];

    /// <summary>For the sync of <see cref="_syncEpoch"/>: what the namespaces store, by claimer (null until read).</summary>
    private Dictionary<ObjectKey, Stored>? _stored;

    /// <summary>The namespaces to read <see cref="_stored"/> from, until it is asked for (null once asked).</summary>
    private IReadOnlyList<string>? _storedFrom;
    private Dictionary<ObjectKey, Gateway> _gateways = [];
    private Dictionary<ObjectKey, ClusterService> _services = [];

    public SourceActor(IObjectSource source, IActorRef virtualServices, IActorRef namespaces, RedirectOptions options, string dnsWriterPath, TimeSpan askTimeout)
    {
        _source = source;
        _virtualServices = virtualServices;
        _namespaces = namespaces;
        _options = options;
        _dnsWriterPath = dnsWriterPath;
        _askTimeout = askTimeout;

        Receive<SyncRequested>(request =>
        {
            // Epochs grow: an older request is a late copy from a DnsWriter that has since moved or restarted.
            if (request.Epoch < _syncEpoch)
                return;
            _dnsWriter = Sender;
            if (request.Epoch != _syncEpoch)
            {
                // Read once no delivery is in flight: one half-stored would read as that VirtualService's whole state.
                _stored = null;
                _storedFrom = request.Namespaces ?? [];
            }
            _syncEpoch = request.Epoch;
            _synced = false;
            Run();
        });
        Receive<StoredRead>(read =>
        {
            if (read.Epoch != _syncEpoch)
                return;
            _stored = read.Stored;
            Run();
        });
        Receive<ViewChanged>(changed =>
        {
            _view = changed.View;
            _viewChanged = true;
            // The last sync swept nothing because the listing was incomplete; now it can be done properly.
            if (_synced && !_syncedComplete && changed.View.Complete)
                _dnsWriter?.Tell(ResyncRequested.Instance);
            Run();
        });
        Receive<StoreChanged>(_ => _dnsWriter?.Tell(DnsConfigChanged.Instance));
        Receive<Retry>(_ =>
        {
            _viewChanged = true;
            Run();
        });
        Receive<DeliveryFinished>(OnDeliveryFinished);
        Receive<GetVirtualServiceState>(get =>
        {
            // The entity answers: from the claims it holds or, passivated since, from what was delivered to it.
            if (_delivered.TryGetValue(get.Key, out var delivered))
                _virtualServices.Forward(new DescribeVirtualService(Observe(delivered)));
            else
                Sender.Tell(new VirtualServiceNotDelivered(get.Key));
        });
        Receive<GetSourceStatus>(_ => Sender.Tell(new SourceStatus(_synced, _view?.Complete ?? false, [.. (_view?.VirtualServices ?? [])
            .OrderBy(v => v.Key)
            .Select(v => new VirtualServiceSummary(v.Key, v.Gateways, [.. v.Destinations.Select(d => d.Host).Distinct()]))])));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="source">Called for every incarnation: a restarted actor gets a fresh one (the old one was disposed).</param>
    /// <param name="dnsWriterPath">The DnsWriter singleton's proxy, told when this actor (re)starts so it asks for a new listing.</param>
    /// <param name="namespaces">The namespace region: read at each sync, for what is stored already.</param>
    /// <param name="options">As the VirtualService entities derive claims with them (part of a claim's source).</param>
    public static Props Props(Func<IObjectSource> source, IActorRef virtualServices, IActorRef namespaces, RedirectOptions options, string dnsWriterPath, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new SourceActor(source(), virtualServices, namespaces, options, dnsWriterPath, askTimeout));

    protected override void PreStart()
    {
        // A source that restarted alone has forgotten who to deliver to and what it delivered: start over.
        Context.ActorSelection(_dnsWriterPath).Tell(ResyncRequested.Instance);
        var self = Self;
        _source.Start(view => self.Tell(new ViewChanged(view)), () => self.Tell(StoreChanged.Instance));
    }

    protected override void PostStop() => _source.Dispose();

    private void Run()
    {
        if (_busy || _dnsWriter == null || _view == null)
            return;
        var sync = !_synced;
        if (sync && _stored == null)
        {
            if (_storedFrom != null)
                ReadStored(_syncEpoch!.Value, _storedFrom);
            _storedFrom = null;
            return;
        }
        if (!sync && !_viewChanged)
            return;
        _viewChanged = false;
        _busy = true;
        try
        {
            Deliver(_view, sync);
        }
        catch (Exception e)
        {
            _busy = false;
            _log.Error(e, "preparing the delivery failed; retrying");
            Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
        }
    }

    private void Deliver(SourceView view, bool sync)
    {
        var allRoots = Delegation.Roots(view.VirtualServices);
        var wanted = new Dictionary<ObjectKey, Delivered>();
        foreach (var vs in view.VirtualServices)
        {
            var roots = allRoots.GetValueOrDefault(vs.Key) ?? [];
            // Adapters keep unchanged objects as the same instances, so most are recognised without comparing them.
            wanted[vs.Key] = _delivered.TryGetValue(vs.Key, out var seen) && ReferenceEquals(seen.Spec, vs) && seen.Roots.SequenceEqual(roots, ReferenceEqualityComparer.Instance)
                ? seen
                : new Delivered(vs, roots);
        }
        var observeNow = new List<Delivered>();
        foreach (var w in wanted.Values)
        {
            if (sync && Unchanged(w) is { } stored)
            {
                // Delivering it would change nothing: it counts as delivered, as the namespaces say.
                _delivered[w.Spec.Key] = w;
                _applied[w.Spec.Key] = stored;
            }
            else if (sync || !_delivered.TryGetValue(w.Spec.Key, out var seen) || !Same(seen, w))
                observeNow.Add(w);
        }
        var remove = _delivered.Keys.Where(k => !wanted.ContainsKey(k)).ToList();

        // The last of each key wins, as the view lists them.
        var gateways = new Dictionary<ObjectKey, Gateway>();
        foreach (var gateway in view.Gateways)
            gateways[gateway.Key] = gateway;
        var services = new Dictionary<ObjectKey, ClusterService>(view.Services.Count);
        foreach (var service in view.Services)
            services[service.Key] = service;
        // Also during a sync: should its SyncCompleted be dropped (a resync overtook it), the changes still arrive.
        SendObjectChanges(gateways, services);
        _gateways = gateways;
        _services = services;

        var epoch = _syncEpoch;
        var complete = view.Complete;
        Apply(observeNow.Select(w => (IVirtualServiceCommand)Observe(w)).Concat(remove.Select(k => new RemoveVirtualService(k, Last: Last(k)))).ToList())
            .PipeTo(Self, success: results => new DeliveryFinished(sync ? epoch : null, results, wanted, complete));
    }

    /// <summary>
    /// What the namespaces store for this VirtualService, when all of it was derived from exactly what is listed now:
    /// its source is the stored one, every namespace that derivation claimed in holds it, and what this source last
    /// saw applied (if anything) says the same.
    /// </summary>
    private LastApplied? Unchanged(Delivered delivered)
    {
        var key = delivered.Spec.Key;
        if (_stored!.GetValueOrDefault(key) is not { Source: { } source } stored
            || ClaimSource.Of(delivered.Spec, delivered.Roots, _options) is not { } now
            || !ClaimSource.Covers(source, now, stored.Namespaces))
            return null;
        if (_applied.TryGetValue(key, out var applied) && (applied.Namespaces == null || !applied.Namespaces.ToHashSet().SetEquals(stored.Namespaces)))
            return null;
        return new LastApplied(stored.Version, stored.Namespaces);
    }

    /// <summary>Asks every namespace that may hold claims what it stores, for the sync of <paramref name="epoch"/>; nothing, should one not answer.</summary>
    private void ReadStored(long epoch, IReadOnlyList<string> namespaces)
    {
        Task.WhenAll(namespaces.Select(ns => _namespaces.Ask<NamespaceClaims>(new ReportClaims(ns), _askTimeout))).PipeTo(Self,
            success: reports => new StoredRead(epoch, Stored.ByClaimer(reports)),
            failure: e =>
            {
                _log.Warning("the namespaces' claims could not be read ({0}); every VirtualService is delivered", e.Message);
                return new StoredRead(epoch, []);
            });
    }

    private ObserveVirtualService Observe(Delivered delivered) => new(delivered.Spec, delivered.Roots, Last(delivered.Spec.Key));

    /// <summary>
    /// What the key's claims last carried. Versions stamped from now on follow the sync's epoch too, so a claim made
    /// since the sync began is recognised as such whatever the clock of the node its entity runs on.
    /// </summary>
    /// <remarks>What the namespaces stored at the last sync counts too: a source started afresh knows nothing else.</remarks>
    private LastApplied Last(ObjectKey key)
    {
        var applied = _applied.GetValueOrDefault(key);
        var stored = _stored?.GetValueOrDefault(key);
        var namespaces = stored == null ? applied?.Namespaces : [.. (applied?.Namespaces ?? []).Union(stored.Namespaces)];
        return new LastApplied(Math.Max(Math.Max(applied?.Version ?? 0, stored?.Version ?? 0), _syncEpoch ?? 0), namespaces);
    }

    private async Task<IReadOnlyList<(IVirtualServiceCommand Command, VirtualServiceApplied? Applied, Exception? Error)>> Apply(List<IVirtualServiceCommand> commands)
    {
        var results = new (IVirtualServiceCommand, VirtualServiceApplied?, Exception?)[commands.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, commands.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, _) =>
        {
            try
            {
                results[i] = (commands[i], await _virtualServices.Ask<VirtualServiceApplied>(commands[i], _askTimeout), null);
            }
            catch (Exception e)
            {
                results[i] = (commands[i], null, e);
            }
        });
        return results;
    }

    private void OnDeliveryFinished(DeliveryFinished finished)
    {
        _busy = false;
        var failed = finished.Results.Where(r => r.Error != null).ToList();
        foreach (var (command, applied, _) in finished.Results.Where(r => r.Error == null))
        {
            if (command is RemoveVirtualService)
                _delivered.Remove(command.Key);
            else
                _delivered[command.Key] = finished.Wanted[command.Key];
            if (command is RemoveVirtualService || applied!.Namespaces is { Count: 0 } && applied.Version == 0)
                _applied.Remove(command.Key);
            else
                _applied[command.Key] = new LastApplied(applied.Version, applied.Namespaces);
        }
        foreach (var (command, _, _) in failed)
        {
            // Some namespaces may hold what the failed attempt claimed: the next one must release them if need be.
            if (command is ObserveVirtualService observe)
            {
                var attempted = VirtualServiceClaims.Extract(observe.Spec, observe.Roots, _options).Hosts.Select(h => h.Namespace);
                var last = Last(command.Key);
                _applied[command.Key] = last with { Namespaces = [.. (last.Namespaces ?? []).Union(attempted)] };
            }
        }
        if (failed.Count > 0)
        {
            _log.Warning("{0} VirtualService changes not applied yet (first: {1}: {2}); retrying", failed.Count, failed[0].Command.Key, failed[0].Error!.Message);
            // A failed sync stays wanted (_synced is still false), so the retry lists everything again.
            Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
            return;
        }
        if (finished.SyncEpoch is { } epoch && epoch == _syncEpoch)
        {
            _synced = true;
            _syncedComplete = finished.Complete;
            var listed = finished.Wanted.Keys.Select(k => new ListedVirtualService(k, _applied.TryGetValue(k, out var last) ? last.Namespaces : [])).ToList();
            _dnsWriter!.Tell(new SyncCompleted(epoch, listed, [.. _gateways.Values], [.. _services.Values], finished.Complete));
        }
        Run();
    }

    private void SendObjectChanges(Dictionary<ObjectKey, Gateway> gateways, Dictionary<ObjectKey, ClusterService> services)
    {
        foreach (var gateway in gateways.Values.Where(g => !_gateways.TryGetValue(g.Key, out var old) || !Same(old, g)))
            _dnsWriter!.Tell(new GatewayObserved(gateway));
        foreach (var key in _gateways.Keys.Where(k => !gateways.ContainsKey(k)))
            _dnsWriter!.Tell(new GatewayRemoved(key));
        foreach (var service in services.Values.Where(s => !_services.TryGetValue(s.Key, out var old) || !Same(old, s)))
            _dnsWriter!.Tell(new ServiceObserved(service));
        foreach (var key in _services.Keys.Where(k => !services.ContainsKey(k)))
            _dnsWriter!.Tell(new ServiceRemoved(key));
    }

    private static bool Same<T>(T a, T b) where T : class => ReferenceEquals(a, b) || JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);

    /// <summary>
    /// What was delivered: the view's own objects (no copy), compared by content only when the adapter hands a new
    /// instance for a key, so a sync of 100k unchanged VirtualServices serialises none of them.
    /// </summary>
    private sealed record Delivered(VirtualService Spec, IReadOnlyList<VirtualService> Roots);

    private sealed record ViewChanged(SourceView View);

    private sealed record StoredRead(long Epoch, Dictionary<ObjectKey, Stored> Stored);

    /// <summary>
    /// A claimer's stored claims: their source (null when unknown or not the same everywhere), their newest version
    /// and the namespaces they claim in.
    /// </summary>
    private sealed record Stored(string? Source, long Version, IReadOnlyList<string> Namespaces)
    {
        public static Dictionary<ObjectKey, Stored> ByClaimer(IEnumerable<NamespaceClaims> reports)
        {
            var stored = new Dictionary<ObjectKey, Stored>();
            foreach (var report in reports)
            {
                foreach (var claim in report.Claims.Where(c => !c.IsRelease))
                {
                    stored[claim.Claimer] = stored.TryGetValue(claim.Claimer, out var other)
                        ? new Stored(other.Source == claim.Source ? other.Source : null, Math.Max(other.Version, claim.Version), [.. other.Namespaces, report.Namespace])
                        : new Stored(claim.Source, claim.Version, [report.Namespace]);
                }
            }
            return stored;
        }
    }

    private sealed record StoreChanged
    {
        public static readonly StoreChanged Instance = new();
    }

    private sealed record Retry
    {
        public static readonly Retry Instance = new();
    }

    private sealed record DeliveryFinished(
        long? SyncEpoch,
        IReadOnlyList<(IVirtualServiceCommand Command, VirtualServiceApplied? Applied, Exception? Error)> Results,
        Dictionary<ObjectKey, Delivered> Wanted,
        bool Complete);
}
