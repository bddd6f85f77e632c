using Canal.DnsWriter;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// What the namespaces store, by claimer, as the source reads it at a sync: for each VirtualService its claims'
/// source (null when unknown or not the same everywhere), their newest version and the namespaces they claim in.
/// </summary>
internal sealed class StoredClaims
{
    private readonly Dictionary<ObjectKey, Stored> _byClaimer = [];

    private sealed record Stored(string? Source, long Version, IReadOnlyList<string> Namespaces);

    public static StoredClaims None { get; } = new([]);

    public StoredClaims(IEnumerable<NamespaceClaims> reports)
    {
        foreach (var report in reports)
        {
            foreach (var claim in report.Claims.Where(c => !c.IsRelease))
            {
                _byClaimer[claim.Claimer] = _byClaimer.TryGetValue(claim.Claimer, out var other)
                    ? new Stored(other.Source == claim.Source ? other.Source : null, Math.Max(other.Version, claim.Version), [.. other.Namespaces, report.Namespace])
                    : new Stored(claim.Source, claim.Version, [report.Namespace]);
            }
        }
    }

    /// <summary>
    /// What is stored for <paramref name="key"/>, when all of it was derived from <paramref name="source"/> (what is listed
    /// now): its source is the stored one, every namespace that derivation claimed in holds it, and what the source last
    /// saw applied (<paramref name="applied"/>, if anything) says the same. Null when it must be delivered.
    /// </summary>
    public LastApplied? Unchanged(ObjectKey key, string? source, LastApplied? applied)
    {
        if (_byClaimer.GetValueOrDefault(key) is not { Source: { } storedSource } stored
            || source == null
            || !ClaimSource.Covers(storedSource, source, stored.Namespaces))
            return null;
        if (applied != null && (applied.Namespaces == null || !applied.Namespaces.ToHashSet().SetEquals(stored.Namespaces)))
            return null;
        return new LastApplied(stored.Version, stored.Namespaces);
    }

    /// <summary>
    /// What <paramref name="key"/>'s claims last carried: what was applied, what is stored, and versions never below
    /// <paramref name="epoch"/>, so a claim made since the sync began is recognised as such whatever the clock of the
    /// node its entity runs on. A source started afresh knows nothing but what is stored.
    /// </summary>
    public LastApplied Last(ObjectKey key, LastApplied? applied, long epoch)
    {
        var stored = _byClaimer.GetValueOrDefault(key);
        var namespaces = stored == null ? applied?.Namespaces : [.. (applied?.Namespaces ?? []).Union(stored.Namespaces)];
        return new LastApplied(Math.Max(Math.Max(applied?.Version ?? 0, stored?.Version ?? 0), epoch), namespaces);
    }
}
