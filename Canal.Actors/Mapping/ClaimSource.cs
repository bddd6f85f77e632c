using System.Text;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>
/// What a VirtualService's claims were derived from: its resourceVersion, its roots', the options that shape
/// claims and the build of the rules that derive them. The derivation is pure, so equal sources give equal claims,
/// and a restart's listing can leave alone a VirtualService whose claims are stored with the source it has now.
/// Null when some part has no resourceVersion (manifest files): those claims are always derived again.
/// </summary>
internal static class ClaimSource
{
    /// <summary>A new build may derive claims differently: its claims are derived again once (a row each).</summary>
    private static readonly string Rules = typeof(VirtualServiceClaims).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    public static string? Of(VirtualService spec, IReadOnlyList<VirtualService> roots, RedirectOptions options)
    {
        if (string.IsNullOrEmpty(spec.ResourceVersion) || roots.Any(r => string.IsNullOrEmpty(r.ResourceVersion)))
            return null;
        var source = new StringBuilder(spec.ResourceVersion);
        foreach (var root in roots.OrderBy(r => r.Key))
            source.Append(' ').Append(root.Key).Append('@').Append(root.ResourceVersion);
        return source.Append(' ').Append(options.ClusterDomain).Append(' ').AppendJoin(',', options.DefaultExportTo)
            .Append(' ').Append(Rules).ToString();
    }

    /// <summary>
    /// The source of one derivation's claims, naming every namespace it claims in: should one namespace lack its copy
    /// (its first registration failed), the others' copies are not taken for the whole.
    /// </summary>
    public static string? Claiming(string? source, IEnumerable<string> namespaces) =>
        source == null ? null : $"{source} in {string.Join(',', namespaces.Order(StringComparer.Ordinal))}";

    /// <summary>True when <paramref name="stored"/> was derived from what has source <paramref name="now"/>, and exactly the namespaces <paramref name="holding"/> it hold it.</summary>
    public static bool Covers(string stored, string now, IEnumerable<string> holding) => stored == Claiming(now, holding);
}
