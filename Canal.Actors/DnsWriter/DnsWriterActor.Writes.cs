using Akka.Actor;
using Akka.Event;
using Canal.Dns;
using Canal.Istio;
using Canal.Mapping;
using Canal.Propagation;

namespace Canal.DnsWriter;

/// <summary>After the barrier: waiting for changes to settle, one write in flight, backing off after a failure, paused.</summary>
public sealed partial class DnsWriterActor
{
    private const string WriteTimer = "write";

    /// <summary>When the first change the write in flight carries happened.</summary>
    private DateTimeOffset? _changeFrom;

    private long _markerStamp;

    /// <summary>Ready, nothing in flight: a change is written once it has settled.</summary>
    private void Idle()
    {
        Command<WriteNow>(_ => StartWrite());
        Ready(ScheduleWrite, busy: false);
    }

    /// <summary>A read or write failed and waits out its backoff; changes meanwhile ride on the retry rather than hammer a failing store.</summary>
    private void BackingOff()
    {
        Command<WriteNow>(_ => StartWrite());
        Ready(NoteChange, busy: true);
    }

    /// <summary>One read and write in flight. A resync, a restore or a resume waits for it: none may race a write, and they keep their order.</summary>
    private void Writing()
    {
        Command<ConfigRead>(OnConfigRead);
        Command<WriteFinished>(OnWriteFinished);
        Command<StoreFailed>(failed =>
        {
            _record.Failed(failed.Cause.Message);
            _log.Warning("{0} could not be read or written ({1}); retrying", _store.Description, failed.Cause.Message);
            RetryLater();
        });
        Command<ResyncRequested>(_ => Stash.Stash());
        Command<RestoreBackup>(_ => Stash.Stash());
        Command<ResumeWrites>(_ => Stash.Stash());
        Command<WriteNow>(_ => { });
        Common(SyncPhase.Ready, NoteChange, busy: true, paused: false);
    }

    /// <summary>Writing paused: after a restore (or Canal would put its section straight back), or when a newer DnsWriter writes.</summary>
    private void Paused()
    {
        Command<ResumeWrites>(_ =>
        {
            Become(Idle);
            Resumed(ScheduleWrite);
        });
        Command<RestoreBackup>(_ => Restore());
        Command<ResyncRequested>(_ => StartSync(AfterSync.Pause));
        Command<WriteNow>(_ => { });
        Common(SyncPhase.Ready, NoteChange, busy: false, paused: true);
    }

    /// <summary>What the behaviours that are not writing share.</summary>
    private void Ready(Action onChange, bool busy)
    {
        Command<ResyncRequested>(_ => StartSync(AfterSync.Write));
        Command<RestoreBackup>(_ =>
        {
            Become(Paused);
            Restore();
        });
        Command<ResumeWrites>(_ => Resumed(onChange));
        Common(SyncPhase.Ready, onChange, busy, paused: false);
    }

    /// <summary>A resume is answered in every behaviour, and counts as a change (it may end a pause).</summary>
    private void Resumed(Action onChange)
    {
        onChange();
        Sender.Tell(WritesResumed.Instance);
    }

    private void NoteChange() => _pending.Changed(_clock.GetUtcNow());

    private void ScheduleWrite() => Timers.StartSingleTimer(WriteTimer, WriteNow.Instance, _pending.Changed(_clock.GetUtcNow()));

    private void StartWrite()
    {
        if (!ClusterSettled())
        {
            // A member is unreachable: this may be the minority side of a partition, whose singleton is about to
            // be replaced. Write nothing until the split brain resolver has decided.
            NoteChange();
            Timers.StartSingleTimer(WriteTimer, WriteNow.Instance, TimeSpan.FromSeconds(1));
            return;
        }
        // A retry keeps the time of the first change it carries.
        var first = _pending.Take();
        _changeFrom ??= first ?? _clock.GetUtcNow();
        Timers.Cancel(WriteTimer);
        Become(Writing);
        // Task.Run: a store that throws instead of returning a faulted task must not crash the writer.
        Task.Run(() => _store.ReadAsync(_stopping.Token)).PipeTo(Self,
            success: config => new ConfigRead(config),
            failure: e => new StoreFailed(e));
    }

    private void OnConfigRead(ConfigRead read)
    {
        var config = read.Config;
        _record.Capacity = config.Capacity;
        if (config.Fence > _epoch)
        {
            // A DnsWriter started after this one has written: this is the stale side of a partition or a
            // hand-over. Never write again; the cluster is about to stop this incarnation.
            Context.System.EventStream.Publish(new CorefileRefused(_store.Description, $"a newer DnsWriter (epoch {config.Fence}) writes it now; this one (epoch {_epoch}) stops writing"));
            Stash.UnstashAll();
            Become(Paused);
            return;
        }
        var plan = Plan();
        // Its own write coming back through the watch, or a drift check of an untouched store: nothing to render or compare.
        if (!_record.FirstCheckPending && _record.Holds(config.Version, plan))
        {
            Settled();
            return;
        }
        var domain = _settings.Redirects.ClusterDomain;
        // A stamp of its own for every attempt: one whose answer was lost may have landed with its marker.
        _markerStamp = VersionStamp.Next(_markerStamp, _clock);
        var marker = WriteMarker.Name(_record.Writes + 1, _markerStamp, domain);
        var check = CorefileCheck.Of(config, plan, _settings.Mode, domain, marker);
        if (check is CorefileCheck.Refused refused)
        {
            // Left untouched and reported; tried again on the next change or drift check.
            if (_record.Refused(refused.Reason, refused.Oversized))
                Context.System.EventStream.Publish(new CorefileRefused(_store.Description, refused.Reason));
            FinishWrite();
            return;
        }
        var (update, upToDate) = (CorefileCheck.Rendered)check;
        if (_record.Warned(update.Warnings))
            Context.System.EventStream.Publish(new CorefileWarning(_store.Description, string.Join("; ", update.Warnings)));
        if (upToDate)
        {
            if (_record.FirstCheckPending)
                Context.System.EventStream.Publish(new CorefileUpToDate(_store.Description, update.Plan.Redirects.Count));
            _record.Applied(update, plan, config.Version);
            Context.System.EventStream.Publish(new PlanApplied(update.Plan));
            Settled();
            return;
        }
        Task.Run(() => _store.WriteAsync(update.Text, config.Version, _epoch, _stopping.Token)).PipeTo(Self,
            success: result => new WriteFinished(result, config.Content, update, plan, marker),
            failure: e => new StoreFailed(e));
    }

    private void OnWriteFinished(WriteFinished finished)
    {
        if (finished.Result is DnsWriteResult.Conflict conflict)
        {
            _record.Conflict();
            _log.Info("{0} changed under us ({1}); reading it again", _store.Description, conflict.Detail);
            RetryLater();
            return;
        }
        var now = _clock.GetUtcNow();
        // The store nearly always held what was applied last: its entries come from that plan, not a parse of the text.
        var before = _record.AppliedUpdate is { } previous && previous.Text == finished.Before ? PropagationCheck.Entries(previous) : PropagationCheck.Entries(finished.Before);
        _record.Written(finished.Update, finished.Planned, ((DnsWriteResult.Written)finished.Result).NewVersion, now, _changeFrom ?? now);
        _backoff.Reset();
        _changeFrom = null;
        var after = PropagationCheck.Entries(finished.Update);
        var changed = PropagationCheck.Changed(before, after);
        var added = changed.Where(h => !before.ContainsKey(h)).Order(StringComparer.Ordinal).ToList();
        var removed = changed.Where(h => !after.ContainsKey(h)).Order(StringComparer.Ordinal).ToList();
        Context.System.EventStream.Publish(new PlanApplied(finished.Update.Plan));
        Context.System.EventStream.Publish(new CorefileWritten(_record.Writes, _store.Description, finished.Update.Mode, _record.Redirected, added, removed, finished.Marker));
        if (_propagation != null)
        {
            // Told, not asked: confirming the write in CoreDNS never holds up the next one (the probe works out its checks).
            _propagationRecord.Written(_record.Writes, now, [.. changed]);
            _propagation.Tell(new ProbeWrite(_record.Writes, now, before, after, changed, finished.Update));
        }
        FinishWrite();
    }

    private void RetryLater()
    {
        NoteChange();
        Timers.StartSingleTimer(WriteTimer, WriteNow.Instance, _backoff.Next());
        Stash.UnstashAll();
        Become(BackingOff);
    }

    /// <summary>The store holds the plan: no backoff, nothing waiting to be carried; the write is over.</summary>
    private void Settled()
    {
        _backoff.Reset();
        _changeFrom = null;
        FinishWrite();
    }

    /// <summary>The write is over: write again soon if something changed meanwhile.</summary>
    private void FinishWrite()
    {
        Stash.UnstashAll();
        Become(Idle);
        if (_pending.FirstChange != null)
            ScheduleWrite();
    }

    private bool ClusterSettled()
    {
        if (((ExtendedActorSystem)Context.System).Provider is not Akka.Cluster.IClusterActorRefProvider)
            return true;
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        return cluster.SelfMember.Status == Akka.Cluster.MemberStatus.Up && cluster.State.Unreachable.Count == 0;
    }

    private sealed record WriteNow
    {
        public static readonly WriteNow Instance = new();
    }

    private sealed record ConfigRead(DnsConfig Config);

    private sealed record WriteFinished(DnsWriteResult Result, string Before, CorefileUpdate Update, RedirectPlan Planned, string Marker);

    private sealed record StoreFailed(Exception Cause);
}
