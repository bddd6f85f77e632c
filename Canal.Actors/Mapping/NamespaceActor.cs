using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Canal.DnsWriter;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// One destination namespace. Owns <c>claimer → hosts</c> for every VirtualService routing into it and
/// pushes the namespace's full claim set to the DnsWriter, one push in flight (changes arriving meanwhile
/// ride on the next). A claim is acknowledged only once the DnsWriter holds a set that contains it.
/// </summary>
public sealed class NamespaceActor : ReceivePersistentActor, IWithTimers, IWithUnboundedStash
{
    private const int SnapshotEvery = 200;
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromHours(1);

    private readonly string _namespace;
    private readonly IActorRef _dnsWriter;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ObjectKey, NamespaceClaim> _claims = [];
    private readonly List<(IActorRef ReplyTo, object Reply, long Needed)> _waiting = [];
    private long _version;
    private long _acceptedVersion;
    private bool _pushing;

    public NamespaceActor(string entityId, IActorRef dnsWriter, TimeSpan askTimeout)
    {
        _namespace = entityId;
        _dnsWriter = dnsWriter;
        _askTimeout = askTimeout;

        Recover<SnapshotOffer>(offer =>
        {
            var snapshot = (NamespaceSnapshot)offer.Snapshot;
            foreach (var claim in snapshot.Claims)
                _claims[claim.Claimer] = claim;
            _version = snapshot.NamespaceVersion;
        });
        Recover<ClaimRecorded>(Apply);

        Command<UpdateClaim>(Update);
        Command<ReleaseClaimers>(Release);
        Command<ReportClaims>(_ => Sender.Tell(Current()));
        Command<Pushed>(OnPushed);
        Command<PushFailed>(failed =>
        {
            _pushing = false;
            _log.Warning("namespace {0}: DnsWriter did not accept claims yet ({1}); retrying", _namespace, failed.Cause.Message);
            Timers.StartSingleTimer("push", Push.Instance, TimeSpan.FromSeconds(1));
        });
        Command<Push>(_ => PushIfBehind());
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

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string entityId, IActorRef dnsWriter, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new NamespaceActor(entityId, dnsWriter, askTimeout));

    private void Update(UpdateClaim update)
    {
        var claim = update.Claim;
        var reply = new ClaimAccepted(_namespace, claim.Claimer, claim.Version);
        var known = _claims.GetValueOrDefault(claim.Claimer);
        // A release of something this namespace never held (or whose tombstone expired) changes nothing: store nothing.
        if (known != null && known.Version >= claim.Version || known == null && claim.IsRelease)
        {
            // A duplicate or a late copy: the newer claim stands. Answer once the DnsWriter holds the current set.
            AnswerWhenAccepted(Sender, reply, _version);
            return;
        }
        var replyTo = Sender;
        Record([claim], () => AnswerWhenAccepted(replyTo, reply, _version));
    }

    private void Release(ReleaseClaimers release)
    {
        var releases = release.Claimers
            .Where(c => _claims.TryGetValue(c, out var claim) && !claim.IsRelease && claim.Version < release.Before)
            .Select(c => _claims[c].Released(VersionStamp.Next(_claims[c].Version)))
            .ToList();
        var replyTo = Sender;
        var reply = new ClaimersReleased(_namespace, releases.Count);
        if (releases.Count == 0)
            AnswerWhenAccepted(replyTo, reply, _version);
        else
            Record(releases, () => AnswerWhenAccepted(replyTo, reply, _version));
    }

    private void Record(IReadOnlyList<NamespaceClaim> claims, Action then)
    {
        if (LastSequenceNr == 0 && _claims.Count == 0)
        {
            // First state ever: the DnsWriter must know this namespace before anything is stored, so that
            // a restart's sweep reaches it even if the first push never arrives.
            var replyTo = Sender;
            _dnsWriter.Ask<NamespaceRegistered>(new RegisterNamespace(_namespace), _askTimeout).PipeTo(Self, replyTo,
                success: _ => new Registered(),
                failure: e => new Status.Failure(e));
            BecomeStacked(message =>
            {
                switch (message)
                {
                    case Registered:
                        UnbecomeStacked();
                        Stash.UnstashAll();
                        PersistClaims(claims, then);
                        return true;
                    case Status.Failure failure:
                        UnbecomeStacked();
                        Stash.UnstashAll();
                        _log.Warning("namespace {0}: DnsWriter did not register it yet ({1})", _namespace, failure.Cause.Message);
                        Sender.Tell(failure);
                        return true;
                    default:
                        Stash.Stash();
                        return true;
                }
            });
            return;
        }
        PersistClaims(claims, then);
    }

    private void PersistClaims(IReadOnlyList<NamespaceClaim> claims, Action then)
    {
        var events = new List<ClaimRecorded>();
        var version = _version;
        foreach (var claim in claims)
        {
            version = VersionStamp.Next(version);
            events.Add(new ClaimRecorded(claim, version));
        }
        var remaining = events.Count;
        PersistAll(events, e =>
        {
            Apply(e);
            if (--remaining > 0)
                return;
            then();
            PushIfBehind();
            if (LastSequenceNr % SnapshotEvery < events.Count)
                SaveSnapshot(new NamespaceSnapshot([.. _claims.Values], _version));
        });
    }

    private void Apply(ClaimRecorded recorded)
    {
        _claims[recorded.Claim.Claimer] = recorded.Claim;
        _version = recorded.NamespaceVersion;
        // Tombstones guard against late copies of released claims; after an hour none are in flight.
        var expired = DateTime.UtcNow.Ticks - TombstoneLifetime.Ticks;
        foreach (var stale in _claims.Values.Where(c => c.IsRelease && c.Version < expired).Select(c => c.Claimer).ToList())
            _claims.Remove(stale);
    }

    private void AnswerWhenAccepted(IActorRef replyTo, object reply, long needed)
    {
        if (_acceptedVersion >= needed)
        {
            replyTo.Tell(reply);
            return;
        }
        _waiting.Add((replyTo, reply, needed));
        PushIfBehind();
    }

    private void PushIfBehind()
    {
        if (_pushing || _acceptedVersion >= _version && _waiting.Count == 0)
            return;
        _pushing = true;
        var claims = Current();
        _dnsWriter.Ask<NamespaceClaimsAccepted>(claims, _askTimeout).PipeTo(Self,
            success: accepted => new Pushed(accepted.Version),
            failure: e => new PushFailed(e));
    }

    private void OnPushed(Pushed pushed)
    {
        _pushing = false;
        _acceptedVersion = Math.Max(_acceptedVersion, pushed.Version);
        foreach (var waiting in _waiting.Where(w => w.Needed <= _acceptedVersion).ToList())
        {
            waiting.ReplyTo.Tell(waiting.Reply);
            _waiting.Remove(waiting);
        }
        PushIfBehind();
    }

    private NamespaceClaims Current() =>
        new(_namespace, _version, [.. _claims.Values.Where(c => !c.IsRelease).OrderBy(c => c.Claimer)]);

    private sealed record Registered;

    private sealed record Push
    {
        public static readonly Push Instance = new();
    }

    private sealed record Pushed(long Version);

    private sealed record PushFailed(Exception Cause);
}
