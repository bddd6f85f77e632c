using Akka.Actor;

namespace Canal.DnsWriter;

/// <summary>Putting back the Corefile as it was before Canal's first change (<c>canal-cmd canal dns restore</c>).</summary>
public sealed partial class DnsWriterActor
{
    /// <summary>
    /// Puts the backup back, on top of the behaviour the caller chose (paused first: otherwise the next check would put
    /// Canal's section straight back). Until the store has answered everything waits, so a resume sent right after a
    /// restore is answered after it and cannot let a write run before the restore lands.
    /// </summary>
    private void Restore()
    {
        var replyTo = Sender;
        Task.Run(() => _store.RestoreBackupAsync(_stopping.Token)).PipeTo(Self,
            success: r => new RestoreFinished(new BackupRestored(r.Restored, r.Message), replyTo),
            failure: e => new RestoreFinished(new BackupRestored(false, e.Message), replyTo));
        BecomeStacked(Restoring);
    }

    private void Restoring()
    {
        Command<RestoreFinished>(finished =>
        {
            finished.ReplyTo.Tell(finished.Answer);
            UnbecomeStacked();
            Stash.UnstashAll();
        });
        CommandAny(_ => Stash.Stash());
    }

    private sealed record RestoreFinished(BackupRestored Answer, IActorRef ReplyTo);
}
