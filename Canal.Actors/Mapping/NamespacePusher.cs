using Akka.Actor;
using Akka.Event;
using Canal.DnsWriter;

namespace Canal.Mapping;

/// <summary>
/// A <see cref="NamespaceActor"/>'s pushes to the DnsWriter, their phases as behaviours: one push in flight; told the
/// namespace is <see cref="Behind"/>, it pulls the claims as they are once it can push them (so the namespace builds its
/// claim set once per push, not once per write); a failed push is tried again a second later, with the claims pulled
/// afresh. Tells its parent each version the DnsWriter accepted.
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

    private void Idle() => Receive<Behind>(_ => PullClaims());

    /// <summary>Asked the parent for its claims; what it answers holds every change it told of before.</summary>
    private void Pulling()
    {
        Receive<NamespaceClaims>(Send);
        Receive<Behind>(_ => { });
    }

    /// <param name="behind">The namespace changed since the claims in flight were pulled.</param>
    private void Pushing(bool behind)
    {
        Receive<Behind>(_ => Become(() => Pushing(behind: true)));
        Receive<Pushed>(pushed =>
        {
            Context.Parent.Tell(new Accepted(pushed.Version));
            if (behind)
                PullClaims();
            else
                Become(Idle);
        });
        Receive<PushFailed>(failed =>
        {
            _log.Warning("namespace {0}: DnsWriter did not accept claims yet ({1}); retrying", failed.Claims.Namespace, failed.Cause.Message);
            Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
            Become(Waiting);
        });
    }

    /// <summary>A push failed: the claims are pulled again once the retry is due, with whatever changed meanwhile.</summary>
    private void Waiting()
    {
        Receive<Behind>(_ => { });
        Receive<Retry>(_ => PullClaims());
    }

    private void PullClaims()
    {
        Context.Parent.Tell(Pull.Instance);
        Become(Pulling);
    }

    private void Send(NamespaceClaims claims)
    {
        _dnsWriter.Ask<NamespaceClaimsAccepted>(claims, _askTimeout).PipeTo(Self,
            success: accepted => new Pushed(accepted.Version),
            failure: e => new PushFailed(claims, e));
        Become(() => Pushing(behind: false));
    }

    /// <summary>From the parent: its claims changed since it last answered a <see cref="Pull"/>.</summary>
    internal sealed record Behind
    {
        public static readonly Behind Instance = new();
    }

    /// <summary>To the parent: answer with the namespace's claims as they are now.</summary>
    internal sealed record Pull
    {
        public static readonly Pull Instance = new();
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
