using Akka.Actor;
using Akka.Event;
using Canal.DnsWriter;

namespace Canal.Mapping;

/// <summary>Pushing the namespace's claims to the DnsWriter: one push in flight, and answers held until it holds what they need.</summary>
public sealed partial class NamespaceActor
{
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

    private sealed record Push
    {
        public static readonly Push Instance = new();
    }

    private sealed record Pushed(long Version);

    private sealed record PushFailed(Exception Cause);
}
