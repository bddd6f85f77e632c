using Akka.Actor;

namespace Canal.Node.Management;

/// <summary>One actor and its children, as far down as was asked.</summary>
internal sealed record ActorNode(string Path, string Name, IReadOnlyList<ActorNode> Children);

/// <summary>
/// Walks the local actor tree by asking every child of a path to identify itself (Akka.NET has no call that
/// lists children): the answers that arrive within a short window are the children.
/// </summary>
internal static class ActorHierarchy
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(300);
    private const int MaxNodes = 2_000;

    public static async Task<ActorNode> Walk(ActorSystem system, string path, int depth)
    {
        var budget = MaxNodes;
        return await Walk(system, path.TrimEnd('/'), depth, () => --budget >= 0);
    }

    private static async Task<ActorNode> Walk(ActorSystem system, string path, int depth, Func<bool> take)
    {
        var name = path.Length == 0 ? "/" : path[(path.LastIndexOf('/') + 1)..];
        if (depth <= 0)
            return new ActorNode(path, name, []);
        var children = await Children(system, path);
        var nodes = new List<ActorNode>();
        foreach (var child in children.Where(_ => take()))
            nodes.Add(await Walk(system, child, depth - 1, take));
        return new ActorNode(path, name, nodes);
    }

    private static async Task<List<string>> Children(ActorSystem system, string path)
    {
        using var inbox = Inbox.Create(system);
        system.ActorSelection($"{path}/*").Tell(new Identify(path), inbox.Receiver);
        var found = new List<string>();
        var deadline = DateTime.UtcNow + Window;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await inbox.ReceiveAsync(deadline - DateTime.UtcNow) is ActorIdentity { Subject: { } subject })
                    found.Add(subject.Path.ToStringWithoutAddress());
            }
            catch (TimeoutException)
            {
                break;
            }
        }
        return [.. found.Distinct().Order(StringComparer.Ordinal)];
    }
}
