using Akka.Actor;
using Akka.Event;
using Canal.DnsWriter;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// The source singleton. Holds the adapter's latest <see cref="SourceView"/> and feeds the pipeline from it:
/// on the DnsWriter's <see cref="SyncRequested"/> it delivers every VirtualService (waiting until each is
/// applied) and answers <see cref="SyncCompleted"/>; afterwards it delivers only what changed. Its phases are
/// behaviours: waiting for a sync it can run, reading what the namespaces store, delivering (one delivery at a
/// time; views arriving meanwhile collapse into the latest), and following the views once synced.
/// </summary>
public sealed partial class SourceActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly IObjectSource _source;
    private readonly IActorRef _virtualServices;
    private readonly IActorRef _namespaces;
    private readonly RedirectOptions _options;
    private readonly string _dnsWriterPath;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private SourceView? _view;
    private HashSet<GatewayApi.ApiProblem> _problems = [];
    private readonly GatewayApi.TranslationCache _translations = new();
    private IActorRef? _dnsWriter;
    private long? _syncEpoch;
    private bool _syncedComplete = true;
    private readonly Dictionary<ObjectKey, Delivered> _delivered = [];
    private readonly DelegationIndex _delegation = new();

    /// <summary>The VirtualServices changed since the last delivery began (null where deleted); null when the whole view must be compared.</summary>
    private Dictionary<ObjectKey, VirtualService?>? _changes;
    private readonly Dictionary<ObjectKey, LastApplied> _applied = [];

    /// <summary>For the sync of <see cref="_syncEpoch"/>: what the namespaces store, by claimer (null until read).</summary>
    private StoredClaims? _stored;

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
        Become(SyncWanted);
    }

    /// <summary>A sync is wanted and none runs: it starts once a DnsWriter has asked and a view has come (or a retry is due).</summary>
    private void SyncWanted()
    {
        Receive<ViewChanged>(changed =>
        {
            TakeView(changed, synced: false);
            Sync();
        });
        Receive<Retry>(_ => Sync());
        Common(synced: false);
    }

    /// <summary>What the namespaces store is being read for the sync of <see cref="_syncEpoch"/>; a newer sync reads again.</summary>
    private void ReadingStored()
    {
        Receive<StoredRead>(read =>
        {
            if (read.Epoch != _syncEpoch)
                return;
            _stored = read.Stored;
            Sync();
        });
        Receive<ViewChanged>(changed => TakeView(changed, synced: false));
        Common(synced: false);
    }

    /// <summary>One delivery in flight. What arrives meanwhile is remembered: a newer sync wanted, or a view that changed since.</summary>
    private void Delivering(bool sync, bool syncAgain, bool changed)
    {
        Receive<DeliveryFinished>(finished => OnDeliveryFinished(finished, syncAgain, changed));
        Receive<ViewChanged>(view =>
        {
            TakeView(view, synced: !sync && !syncAgain);
            Become(() => Delivering(sync, syncAgain, changed: true));
        });
        Receive<SyncRequested>(request =>
        {
            var newEpoch = request.Epoch != _syncEpoch;
            // The sync being delivered answers a repeat of its own request.
            if (Requested(request) && (!sync || newEpoch))
                Become(() => Delivering(sync, syncAgain: true, changed));
        });
        Common(synced: !sync && !syncAgain);
    }

    /// <summary>Synced: each view delivers what changed; a new request syncs again.</summary>
    private void Following()
    {
        Receive<ViewChanged>(changed =>
        {
            TakeView(changed, synced: true);
            Deliver(sync: false);
        });
        Receive<Retry>(_ => Deliver(sync: false));
        Common(synced: true);
    }

    /// <summary>What every behaviour answers alike, unless it says otherwise first (handlers are tried in the order registered).</summary>
    private void Common(bool synced)
    {
        Receive<SyncRequested>(request =>
        {
            if (Requested(request))
                Sync();
        });
        // A retry is due only where nothing runs; elsewhere what runs will deliver what failed.
        Receive<Retry>(_ => { });
        Receive<StoreChanged>(_ => _dnsWriter?.Tell(DnsConfigChanged.Instance));
        // A read for a sync that was overtaken.
        Receive<StoredRead>(_ => { });
        Receive<GetVirtualServiceState>(get =>
        {
            // The entity answers: from the claims it holds or, passivated since, from what was delivered to it.
            if (_delivered.TryGetValue(get.Key, out var delivered))
                _virtualServices.Forward(new DescribeVirtualService(Observe(delivered)));
            else
                Sender.Tell(new VirtualServiceNotDelivered(get.Key));
        });
        Receive<GetSourceStatus>(_ => Sender.Tell(new SourceStatus(synced, _view?.Complete ?? false, [.. (_view?.VirtualServices ?? [])
            .OrderBy(v => v.Key)
            .Select(v => new VirtualServiceSummary(v.Key, v.Gateways, [.. v.Destinations.Select(d => d.Host).Distinct()]))])));
    }

    /// <summary>Takes a request in; false for a late copy of an older one (epochs grow: it came from a DnsWriter that has since moved or restarted).</summary>
    private bool Requested(SyncRequested request)
    {
        if (request.Epoch < _syncEpoch)
            return false;
        _dnsWriter = Sender;
        if (request.Epoch != _syncEpoch)
        {
            // Read once no delivery is in flight: one half-stored would read as that VirtualService's whole state.
            _stored = null;
            _storedFrom = request.Namespaces ?? [];
        }
        _syncEpoch = request.Epoch;
        return true;
    }

    private void TakeView(ViewChanged changed, bool synced)
    {
        var (view, problems) = changed.View.Translated(_options, _translations);
        // Said once: a view comes with every change and every rescan.
        foreach (var problem in problems.Except(_problems))
            _log.Info("{0} {1}: {2} (at {3})", problem.Kind, problem.Object, problem.Reason, problem.Path);
        _problems = [.. problems];
        _view = view;
        if (view.ChangedVirtualServices is { } changes && _changes != null)
        {
            foreach (var (key, now) in changes)
                _changes[key] = now;
        }
        else
            _changes = null;
        // The last sync swept nothing because the listing was incomplete; now it can be done properly.
        if (synced && !_syncedComplete && changed.View.Complete)
            _dnsWriter?.Tell(ResyncRequested.Instance);
    }

    /// <summary>Runs the wanted sync as far as it can go now: read what the namespaces store, then deliver everything.</summary>
    private void Sync()
    {
        if (_dnsWriter == null || _view == null)
        {
            Become(SyncWanted);
            return;
        }
        if (_stored == null)
        {
            if (_storedFrom != null)
                ReadStored(_syncEpoch!.Value, _storedFrom);
            _storedFrom = null;
            Become(ReadingStored);
            return;
        }
        Deliver(sync: true);
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

    private LastApplied? Unchanged(Delivered delivered) =>
        _stored!.Unchanged(delivered.Spec.Key, ClaimSource.Of(delivered.Spec, delivered.Roots, _options), _applied.GetValueOrDefault(delivered.Spec.Key));

    /// <summary>Asks every namespace that may hold claims what it stores, for the sync of <paramref name="epoch"/>; nothing, should one not answer.</summary>
    private void ReadStored(long epoch, IReadOnlyList<string> namespaces)
    {
        Task.WhenAll(namespaces.Select(ns => _namespaces.Ask<NamespaceClaims>(new ReportClaims(ns), _askTimeout))).PipeTo(Self,
            success: reports => new StoredRead(epoch, new StoredClaims(reports)),
            failure: e =>
            {
                _log.Warning("the namespaces' claims could not be read ({0}); every VirtualService is delivered", e.Message);
                return new StoredRead(epoch, StoredClaims.None);
            });
    }

    private ObserveVirtualService Observe(Delivered delivered) => new(delivered.Spec, delivered.Roots, Last(delivered.Spec.Key));

    private LastApplied Last(ObjectKey key) => (_stored ?? StoredClaims.None).Last(key, _applied.GetValueOrDefault(key), _syncEpoch ?? 0);

    private sealed record ViewChanged(SourceView View);

    private sealed record StoredRead(long Epoch, StoredClaims Stored);

    private sealed record StoreChanged
    {
        public static readonly StoreChanged Instance = new();
    }

    private sealed record Retry
    {
        public static readonly Retry Instance = new();
    }
}
