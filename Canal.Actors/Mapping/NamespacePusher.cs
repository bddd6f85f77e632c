using Akka.Actor;
using Akka.Event;
using Canal.DnsWriter;

namespace Canal.Mapping;

/// <summary>
/// A <see cref="NamespaceActor"/>'s pushes to the DnsWriter, so that a push and a journal write run side by side:
/// one push in flight, the newest claims next (what arrives meanwhile replaces what waits), a failed push tried again
/// a second later with the newest claims. Tells its parent each version the DnsWriter accepted.
/// </summary>
internal sealed class NamespacePusher : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly IActorRef _dnsWriter;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public NamespacePusher(IActorRef dnsWriter, TimeSpan askTimeout)
    {
        _dnsWriter = dnsWriter;
        _askTimeout = askTimeout;
        Become(Idle);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef dnsWriter, TimeSpan askTimeout) => Akka.Actor.Props.Create(() => new NamespacePusher(dnsWriter, askTimeout));

    private void Idle() => Receive<NamespaceClaims>(Send);

    /// <param name="next">The newest claims that arrived while the push was in flight; null for none.</param>
    private void Pushing(NamespaceClaims? next)
    {
        Receive<NamespaceClaims>(claims => Become(() => Pushing(claims)));
        Receive<Pushed>(pushed =>
        {
            Context.Parent.Tell(new Accepted(pushed.Version));
            if (next != null)
                Send(next);
            else
                Become(Idle);
        });
        Receive<PushFailed>(failed =>
        {
            _log.Warning("namespace {0}: DnsWriter did not accept claims yet ({1}); retrying", failed.Claims.Namespace, failed.Cause.Message);
            Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
            Become(() => Waiting(next ?? failed.Claims));
        });
    }

    /// <summary>A push failed: <paramref name="claims"/> (the newest) go once the retry is due.</summary>
    private void Waiting(NamespaceClaims claims)
    {
        Receive<NamespaceClaims>(newer => Become(() => Waiting(newer)));
        Receive<Retry>(_ => Send(claims));
    }

    private void Send(NamespaceClaims claims)
    {
        _dnsWriter.Ask<NamespaceClaimsAccepted>(claims, _askTimeout).PipeTo(Self,
            success: accepted => new Pushed(accepted.Version),
            failure: e => new PushFailed(claims, e));
        Become(() => Pushing(next: null));
    }

    /// <summary>To the parent: the DnsWriter holds the namespace's claims at this version or a newer one.</summary>
    internal sealed record Accepted(long Version);

    private sealed record Pushed(long Version);

    private sealed record PushFailed(NamespaceClaims Claims, Exception Cause);

    private sealed record Retry
    {
        public static readonly Retry Instance = new();
    }
}
