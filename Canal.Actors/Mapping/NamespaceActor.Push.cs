using Akka.Actor;
using Canal.DnsWriter;

namespace Canal.Mapping;

/// <summary>Pushing the namespace's claims to the DnsWriter (by its <see cref="NamespacePusher"/>), and answers held until it holds what they need.</summary>
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

    /// <summary>Tells the pusher the claims changed since it last pulled them (it keeps trying until they are accepted).</summary>
    private void PushIfBehind()
    {
        if (_handedVersion < _version)
            _pusher.Tell(NamespacePusher.Behind.Instance);
    }

    private void OnPull()
    {
        _handedVersion = _version;
        _pusher.Tell(Current());
    }

    private void OnAccepted(NamespacePusher.Accepted accepted)
    {
        _acceptedVersion = Math.Max(_acceptedVersion, accepted.Version);
        foreach (var waiting in _waiting.Where(w => w.Needed <= _acceptedVersion).ToList())
        {
            waiting.ReplyTo.Tell(waiting.Reply);
            _waiting.Remove(waiting);
        }
    }

    private NamespaceClaims Current() =>
        new(_namespace, _version, [.. _claims.Values.Where(c => !c.IsRelease).OrderBy(c => c.Claimer)]);
}
