using System.Text.Json;
using static Canal.Istio.JsonFields;

namespace Canal.Istio;

/// <summary>
/// The request conditions of an http match, as one line of text (<c>uri exact /hello, header x-user exact jason</c>), or
/// null when the match takes every request: no condition, or only a <c>uri</c> every path has (<c>prefix: /</c>, <c>regex: .*</c>),
/// which is how Istio tells a catch-all route.
/// </summary>
internal static class RequestConditions
{
    /// <summary>An http match's conditions (Istio's HTTPMatchRequest).</summary>
    public static string? Of(JsonElement match, string path)
    {
        var parts = new List<string>();
        var uri = StringMatch(match, "uri", path);
        var anyCase = OptionalBool(match, "ignoreUriCase", path) ? " (any case)" : "";
        if (uri is { } u && !EveryPath(u.Kind, u.Value))
            parts.Add($"uri {u.Kind} {u.Value}{anyCase}");
        foreach (var field in new[] { "scheme", "method", "authority" })
        {
            if (StringMatch(match, field, path) is { } m)
                parts.Add($"{field} {m.Kind} {m.Value}");
        }
        parts.AddRange(Named(match, "headers", "header", path));
        parts.AddRange(Named(match, "queryParams", "query", path));
        parts.AddRange(Named(match, "withoutHeaders", "without header", path));
        return Join(parts);
    }

    /// <summary>Several conditions that must all hold, or null when none is left.</summary>
    public static string? Join(IEnumerable<string?> parts)
    {
        var text = string.Join(", ", parts.Where(p => !string.IsNullOrEmpty(p)));
        return text.Length == 0 ? null : text;
    }

    /// <summary>True for a uri condition every request path meets: a path always starts with <c>/</c>.</summary>
    public static bool EveryPath(string kind, string value) => kind switch
    {
        "prefix" => value is "/" or "",
        "regex" => value is ".*",
        _ => false,
    };

    /// <summary>An Istio StringMatch (<c>exact</c>, <c>prefix</c> or <c>regex</c>); an empty one is "present".</summary>
    private static (string Kind, string Value)? StringMatch(JsonElement obj, string name, string path)
    {
        if (OptionalObject(obj, name, path) is not { } m)
            return null;
        var fieldPath = Path(path, name);
        foreach (var kind in new[] { "exact", "prefix", "regex" })
        {
            if (OptionalString(m, kind, fieldPath) is { } value)
                return (kind, value);
        }
        return ("present", "");
    }

    private static IEnumerable<string> Named(JsonElement match, string field, string label, string path)
    {
        if (OptionalObject(match, field, path) is not { } map)
            yield break;
        foreach (var entry in map.EnumerateObject().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var m = StringMatch(map, entry.Name, Path(path, field));
            yield return m is { Kind: "present" } ? $"{label} {entry.Name} present" : $"{label} {entry.Name} {m!.Value.Kind} {m.Value.Value}";
        }
    }
}

/// <summary>
/// The Gateway API's precedence of a match among the rules of every route for one hostname, as istiod sorts them: by the
/// path's kind (<see cref="Uri"/>: exact 3, prefix 2, regular expression 1, none -1; a rule without matches -2 goes last),
/// then the longer path, a method, the most headers, the most query parameters. Ties keep the routes' order.
/// </summary>
public sealed record MatchRank(int Uri, int PathLength, bool Method, int Headers, int QueryParams) : IComparable<MatchRank>
{
    public static readonly MatchRank NoMatch = new(-2, 0, false, 0, 0);

    /// <summary>Negative when this match goes first.</summary>
    public int CompareTo(MatchRank? other)
    {
        if (other is null)
            return -1;
        var c = other.Uri.CompareTo(Uri);
        if (c == 0)
            c = other.PathLength.CompareTo(PathLength);
        if (c == 0)
            c = other.Method.CompareTo(Method);
        if (c == 0)
            c = other.Headers.CompareTo(Headers);
        return c != 0 ? c : other.QueryParams.CompareTo(QueryParams);
    }
}
