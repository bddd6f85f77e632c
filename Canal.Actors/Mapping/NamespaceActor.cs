using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Canal.DnsWriter;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// One destination namespace. Owns <c>claimer → hosts</c> for every VirtualService routing into it and
/// pushes the namespace's full claim set to the DnsWriter through its child <see cref="NamespacePusher"/>, one push in
/// flight (changes arriving meanwhile ride on the next). A claim is acknowledged only once the DnsWriter holds a set
/// that contains it.
/// </summary>
public sealed partial class NamespaceActor : ReceivePersistentActor, IWithTimers, IWithUnboundedStash
{
    /// <summary>Claims recorded before a snapshot is due; it is taken once the namespace is quiet.</summary>
    private const int SnapshotEvery = 200;

    /// <summary>
    /// A snapshot and the deletes after it are writes beside the journal's writer; on SQLite each collision costs
    /// the writer a 150 ms sleep (Microsoft.Data.Sqlite's busy retry), which made a 100k cold sync mostly sleep.
    /// </summary>
    private static readonly TimeSpan SnapshotWhenQuietFor = TimeSpan.FromSeconds(2);

    /// <summary>Under a stream of changes that never pauses, a snapshot is still taken at this many claims.</summary>
    private const int SnapshotAtLatest = SnapshotEvery * 25;
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromHours(1);

    private readonly string _namespace;
    private readonly IActorRef _dnsWriter;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ObjectKey, NamespaceClaim> _claims = [];
    private readonly List<(IActorRef ReplyTo, object Reply, long Needed)> _waiting = [];
    private List<Pending> _pending = [];
    private long _version;
    private long _acceptedVersion;
    /// <summary>The version of the claims <see cref="_pusher"/> pulled last.</summary>
    private long _handedVersion;
    private readonly IActorRef _pusher;
    /// <summary>The claims being written now (one write at a time), null when none is.</summary>
    private Dictionary<ObjectKey, NamespaceClaim>? _writing;
    private int _sinceSnapshot;
    private readonly TimeProvider _clock;

    public NamespaceActor(string entityId, IActorRef dnsWriter, TimeSpan askTimeout, TimeProvider clock)
    {
        _namespace = entityId;
        _clock = clock;
        _dnsWriter = dnsWriter;
        _askTimeout = askTimeout;
        _pusher = Context.ActorOf(NamespacePusher.Props(dnsWriter, askTimeout), "pusher");

        Recover<SnapshotOffer>(offer =>
        {
            var snapshot = (NamespaceSnapshot)offer.Snapshot;
            foreach (var claim in snapshot.Claims)
                _claims[claim.Claimer] = claim;
            _version = snapshot.NamespaceVersion;
        });
        Recover<ClaimRecorded>(e => Apply([e.Claim], e.NamespaceVersion));
        Recover<ClaimsRecorded>(e => Apply(e.Claims, e.NamespaceVersion));

        Command<UpdateClaim>(Update);
        Command<ReleaseClaimers>(Release);
        Command<ReportClaims>(_ => Sender.Tell(Current()));
        Command<NamespacePusher.Accepted>(OnAccepted);
        Command<NamespacePusher.Pull>(_ => OnPull());
        Command<TakeSnapshot>(_ => Snapshot());
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("namespace {0}: snapshot failed: {1}", _namespace, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("namespace {0}: old journal entries not deleted: {1}", _namespace, f.Cause.Message));
        Command<DeleteSnapshotsFailure>(f => _log.Warning("namespace {0}: old snapshots not deleted: {1}", _namespace, f.Cause.Message));
    }

    public override string PersistenceId => $"namespace-{_namespace}";

    /// <summary>The pusher keeps what it was handed: restarted, it would forget claims this actor counts as handed.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Resume);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string entityId, IActorRef dnsWriter, TimeSpan askTimeout, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new NamespaceActor(entityId, dnsWriter, askTimeout, clock ?? TimeProvider.System));

    private void Update(UpdateClaim update)
    {
        _pending.Add(new Pending([update.Claim], Sender, new ClaimAccepted(_namespace, update.Claim.Claimer, update.Claim.Version)));
        Flush();
    }

    private void Release(ReleaseClaimers release)
    {
        var releases = release.Claimers
            .Select(Known)
            .Where(claim => claim is { IsRelease: false } && claim.Version < release.Before)
            .Select(claim => claim!.Released(VersionStamp.Next(claim.Version, _clock)))
            .ToList();
        _pending.Add(new Pending(releases, Sender, new ClaimersReleased(_namespace, releases.Count)));
        Flush();
    }

    /// <summary>The newest claim of <paramref name="claimer"/>: waiting to be written, being written, or stored.</summary>
    private NamespaceClaim? Known(ObjectKey claimer) =>
        _pending.SelectMany(p => p.Claims).Where(c => c.Claimer == claimer)
            .Append(_writing?.GetValueOrDefault(claimer))
            .Append(_claims.GetValueOrDefault(claimer))
            .OfType<NamespaceClaim>()
            .MaxBy(c => c.Version);

    /// <summary>
    /// Stores what arrived since the last write as one event, one write in flight: a sync's thousands of claims
    /// cost a few rows per namespace, not one each. Claims that change nothing are answered without a write.
    /// </summary>
    private void Flush()
    {
        if (_writing != null || _pending.Count == 0)
            return;
        var batch = _pending;
        _pending = [];
        var changes = new Dictionary<ObjectKey, NamespaceClaim>();
        foreach (var claim in batch.SelectMany(p => p.Claims))
        {
            var known = changes.GetValueOrDefault(claim.Claimer) ?? _claims.GetValueOrDefault(claim.Claimer);
            // A duplicate or a late copy: the newer claim stands. A release of something never held (or whose
            // tombstone expired) changes nothing.
            if (known != null && known.Version >= claim.Version || known == null && claim.IsRelease)
                continue;
            if (known != null && known.SameClaim(claim))
            {
                // Re-asserted as it was (a restart's listing): nothing to store, but later copies must be newer still.
                if (changes.ContainsKey(claim.Claimer))
                    changes[claim.Claimer] = claim;
                else
                    _claims[claim.Claimer] = claim;
                continue;
            }
            changes[claim.Claimer] = claim;
        }
        if (changes.Count == 0)
        {
            Answer(batch);
            return;
        }
        _writing = changes;
        Record(new ClaimsRecorded([.. changes.Values], VersionStamp.Next(_version, _clock)), batch);
    }

    private void Record(ClaimsRecorded recorded, List<Pending> batch)
    {
        if (LastSequenceNr == 0 && _claims.Count == 0)
        {
            // First state ever: the DnsWriter must know this namespace before anything is stored, so that
            // a restart's sweep reaches it even if the first push never arrives.
            _dnsWriter.Ask<NamespaceRegistered>(new RegisterNamespace(_namespace), _askTimeout).PipeTo(Self,
                success: _ => new Registered(),
                failure: e => new Status.Failure(e));
            BecomeStacked(message =>
            {
                switch (message)
                {
                    case Registered:
                        UnbecomeStacked();
                        Stash.UnstashAll();
                        Persist(recorded, batch);
                        return true;
                    case Status.Failure failure:
                        UnbecomeStacked();
                        Stash.UnstashAll();
                        _writing = null;
                        _log.Warning("namespace {0}: DnsWriter did not register it yet ({1})", _namespace, failure.Cause.Message);
                        foreach (var pending in batch)
                            pending.ReplyTo.Tell(failure);
                        Flush();
                        return true;
                    default:
                        Stash.Stash();
                        return true;
                }
            });
            return;
        }
        Persist(recorded, batch);
    }

    private void Persist(ClaimsRecorded recorded, List<Pending> batch) =>
        // PersistAsync: claims keep arriving while the row is written, and ride on the next one.
        PersistAsync(recorded, e =>
        {
            Apply(e.Claims, e.NamespaceVersion);
            _writing = null;
            Answer(batch);
            PushIfBehind();
            _sinceSnapshot += e.Claims.Count;
            if (_sinceSnapshot >= SnapshotAtLatest)
                Snapshot();
            else if (_sinceSnapshot >= SnapshotEvery)
                Timers.StartSingleTimer(nameof(TakeSnapshot), TakeSnapshot.Instance, SnapshotWhenQuietFor);
            Flush();
        });

    private void Snapshot()
    {
        Timers.Cancel(nameof(TakeSnapshot));
        _sinceSnapshot = 0;
        SaveSnapshot(new NamespaceSnapshot([.. _claims.Values], _version));
    }

    private void Answer(List<Pending> batch)
    {
        foreach (var pending in batch)
            AnswerWhenAccepted(pending.ReplyTo, pending.Reply, _version);
    }

    private void Apply(IReadOnlyList<NamespaceClaim> claims, long namespaceVersion)
    {
        foreach (var claim in claims)
            _claims[claim.Claimer] = claim;
        _version = namespaceVersion;
        // Tombstones guard against late copies of released claims; after an hour none are in flight.
        var expired = _clock.GetUtcNow().UtcTicks - TombstoneLifetime.Ticks;
        foreach (var stale in _claims.Values.Where(c => c.IsRelease && c.Version < expired).Select(c => c.Claimer).ToList())
            _claims.Remove(stale);
    }

    /// <summary>Claims to store, and who waits for them with which answer.</summary>
    private sealed record Pending(IReadOnlyList<NamespaceClaim> Claims, IActorRef ReplyTo, object Reply);

    private sealed record Registered;

    private sealed record TakeSnapshot
    {
        public static readonly TakeSnapshot Instance = new();
    }
}
