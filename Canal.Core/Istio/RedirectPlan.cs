
namespace Canal.Istio;

public enum HostStatus { Redirected, Skipped, Blocked }

/// <summary>The verdict on one host, with the VirtualServices that route to it and, when one applies, the gateway.</summary>
public sealed record HostDecision(string Host, HostStatus Status, string Reason, ObjectKey? Gateway, IReadOnlyList<ObjectKey> Claimers)
{
    /// <summary>What the gateway does with the host's requests; null when it was not worked out (not bound, or claims without route tables).</summary>
    public HostCoverage? Coverage { get; init; }

    public override string ToString()
    {
        var status = Status.ToString().ToLowerInvariant();
        var claimers = Claimers.Count > 0 ? $" [{string.Join(", ", Claimers)}]" : "";
        var host = Status == HostStatus.Skipped ? HostName.Quote(Host) : Host;
        // Object and gateway names from local manifests are not validated: keep one decision on one line.
        return $"{status,-10} {host}{claimers}: {Reason}".ReplaceLineEndings("\\n");
    }
}

/// <summary>The redirects to render, sorted by host, and a decision for every host any VirtualService named.</summary>
public sealed record RedirectPlan(IReadOnlyList<Redirect> Redirects, IReadOnlyList<HostDecision> Decisions)
{
    /// <summary>Blocks the redirects <paramref name="cannotRender"/> rejects, keeping the decision list complete.</summary>
    public RedirectPlan Block(Func<Redirect, string?> cannotRender)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var redirect in Redirects)
        {
            if (cannotRender(redirect) is { } reason)
                reasons.TryAdd(redirect.Host, reason);
        }
        if (reasons.Count == 0)
            return this;
        return new RedirectPlan(
            [.. Redirects.Where(r => !reasons.ContainsKey(r.Host))],
            [.. Decisions.Select(d => d.Status == HostStatus.Redirected && reasons.TryGetValue(d.Host, out var reason)
                ? d with { Status = HostStatus.Blocked, Reason = reason }
                : d)]);
    }
}
