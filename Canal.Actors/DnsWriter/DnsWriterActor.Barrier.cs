using Akka.Actor;
using Akka.Event;
using Canal.Istio;
using Canal.Mapping;

namespace Canal.DnsWriter;

/// <summary>The sync barrier: the behaviours that write nothing until the listing has been applied and stale claims swept.</summary>
public sealed partial class DnsWriterActor
{
    private static readonly TimeSpan ListingRetry = TimeSpan.FromSeconds(2);

    private long _epoch;
    private DateTimeOffset _syncStarted;
    private DateTimeOffset _listed;

    /// <summary>Which behaviour the barrier opens into.</summary>
    private enum AfterSync { Write, Pause }

    private void StartSync(AfterSync after)
    {
        _syncStarted = _clock.GetUtcNow();
        _epoch = VersionStamp.Next(_epoch, _clock);
        _log.Debug("sync barrier closed: waiting for the source's listing (epoch {0})", _epoch);
        // The source may not be up yet (or may be moving with us after a hand-over): ask every couple of seconds
        // until it answers, so a request lost to a singleton proxy that was still looking costs little.
        Timers.StartPeriodicTimer("listing", RequestListing.Instance, TimeSpan.Zero, ListingRetry);
        Become(() => WaitingForListing(after));
    }

    private void WaitingForListing(AfterSync after)
    {
        Command<RequestListing>(_ => _source.Tell(new SyncRequested(_epoch, [.. _knownNamespaces])));
        Command<SyncCompleted>(sync => sync.Epoch == _epoch, sync =>
        {
            Timers.Cancel("listing");
            _listed = _clock.GetUtcNow();
            _state.Listed(sync.Gateways, sync.Services);
            foreach (var service in sync.Services)
                TrackReadiness(service);
            _readiness.Retain(_state.Services);
            var listed = sync.VirtualServices.ToDictionary(v => v.Key, v => v.Namespaces);
            var epoch = _epoch;
            var asks = _knownNamespaces.Select(ns => _namespaces.Ask<NamespaceClaims>(new ReportClaims(ns), _settings.SweepAskTimeout));
            Task.WhenAll(asks).PipeTo(Self,
                success: reports => new NamespacesReported(epoch, reports, listed, sync.Complete),
                failure: e => new SyncFailed(epoch, e));
            Become(() => Sweeping(after));
        });
        Barrier(SyncPhase.WaitingForListing, after);
    }

    private void Sweeping(AfterSync after)
    {
        Command<NamespacesReported>(reported => reported.Epoch == _epoch, reported =>
        {
            foreach (var report in reported.Reports)
                _state.Hold(report);
            // Claims of VirtualServices that vanished while Canal was down, or that no longer route into that namespace:
            // release them there, and let the actors of vanished ones forget them.
            var dead = reported.Complete ? _state.Unaccounted(reported.Listed, _epoch) : [];
            if (!reported.Complete)
                _log.Warning("the source's listing is incomplete (unreadable objects): no claims are swept until it is complete");
            var releases = dead.GroupBy(d => d.Namespace)
                .Select(g => (Task)_namespaces.Ask<ClaimersReleased>(new ReleaseClaimers(g.Key, [.. g.Select(d => d.Claimer)], _epoch), _settings.SweepAskTimeout));
            var removals = dead.Select(d => d.Claimer).Distinct().Where(k => !reported.Listed.ContainsKey(k))
                .Select(k => (Task)_virtualServices.Ask<VirtualServiceApplied>(new RemoveVirtualService(k, _epoch), _settings.SweepAskTimeout));
            var (epoch, swept) = (_epoch, dead.Select(d => d.Claimer).Distinct().Count());
            Task.WhenAll(releases.Concat(removals)).PipeTo(Self,
                success: () => new SweepFinished(epoch, swept, reported.Listed.Count),
                failure: e => new SyncFailed(epoch, e));
        });
        Command<SweepFinished>(finished => finished.Epoch == _epoch, finished =>
        {
            Context.System.EventStream.Publish(new SyncBarrierPassed(finished.Listed, _knownNamespaces.Count, finished.Swept, Plan().Redirects.Count)
            {
                Listing = _listed - _syncStarted,
                Sweep = _clock.GetUtcNow() - _listed,
            });
            _record.FirstCheckPending = true;
            Timers.StartPeriodicTimer("drift", WriteNow.Instance, _settings.DriftCheck);
            if (after == AfterSync.Pause)
            {
                // A resume schedules the write.
                Become(Paused);
                return;
            }
            Become(Idle);
            StartWrite();
        });
        Command<SyncFailed>(failed => failed.Epoch == _epoch, failed =>
        {
            _log.Warning("sync failed ({0}); asking the source for a new listing", failed.Cause.Message);
            StartSync(after);
        });
        Command<ResyncRequested>(_ => StartSync(after));
        Barrier(SyncPhase.Sweeping, after);
    }

    /// <summary>What both barrier behaviours share: nothing is written, and a restore or resume decides what the barrier opens into.</summary>
    private void Barrier(SyncPhase phase, AfterSync after)
    {
        Command<RestoreBackup>(_ =>
        {
            BarrierOpeningInto(phase, AfterSync.Pause);
            Restore();
        });
        Command<ResumeWrites>(_ =>
        {
            Sender.Tell(WritesResumed.Instance);
            BarrierOpeningInto(phase, AfterSync.Write);
        });
        Command<ResyncRequested>(_ => { });
        Command<WriteNow>(_ => { });
        // Changes are taken in and written once the barrier opens: until then they are all pending.
        Common(phase, () => { }, busy: true, paused: after == AfterSync.Pause);
    }

    /// <summary>The same barrier behaviour, opening into <paramref name="after"/>.</summary>
    private void BarrierOpeningInto(SyncPhase phase, AfterSync after)
    {
        if (phase == SyncPhase.Sweeping)
            Become(() => Sweeping(after));
        else
            Become(() => WaitingForListing(after));
    }

    private sealed record RequestListing
    {
        public static readonly RequestListing Instance = new();
    }

    private sealed record NamespacesReported(long Epoch, NamespaceClaims[] Reports, Dictionary<ObjectKey, IReadOnlyList<string>?> Listed, bool Complete);

    private sealed record SweepFinished(long Epoch, int Swept, int Listed);

    private sealed record SyncFailed(long Epoch, Exception Cause);
}
