using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Canal.Tests.Deploy;

/// <summary>
/// What can be checked in a helm template without helm: its actions (<c>{{ … }}</c>) pair up, its blocks close,
/// the values it reads exist; and a template made of plain substitutions can be rendered.
/// </summary>
internal static partial class ChartTemplate
{
    private static readonly string[] Openers = ["if", "range", "with", "define", "block"];

    /// <summary>The actions in order, without delimiters and trim markers; throws where delimiters do not pair.</summary>
    public static IReadOnlyList<string> Actions(string text) => [.. Spans(text).Select(a => a.Action)];

    /// <summary>
    /// Where each action starts and ends, as Go's template lexer reads them: a comment runs to <c>*/</c>, and a quoted
    /// or raw string (<c>{{`{{ $labels.x }}`}}</c>, how a chart passes Prometheus's templates on) may hold braces.
    /// </summary>
    private static IEnumerable<(int Start, int End, string Action)> Spans(string text)
    {
        var at = 0;
        while (true)
        {
            var open = text.IndexOf("{{", at, StringComparison.Ordinal);
            var strayClose = text.IndexOf("}}", at, StringComparison.Ordinal);
            if (strayClose >= 0 && (open < 0 || strayClose < open))
                throw new FormatException($"`}}}}` without `{{{{` at line {Line(text, strayClose)}");
            if (open < 0)
                yield break;
            var close = Close(text, open);
            var action = text[(open + 2)..close].Trim().TrimStart('-').TrimEnd('-').Trim();
            yield return (open, close + 2, action);
            at = close + 2;
        }
    }

    /// <summary>Where the action opened at <paramref name="open"/> closes.</summary>
    private static int Close(string text, int open)
    {
        var body = open + 2;
        var comment = text.IndexOf("/*", body, StringComparison.Ordinal);
        if (comment >= 0 && text[body..comment].Trim().TrimStart('-').Length == 0)
        {
            var end = text.IndexOf("*/", comment + 2, StringComparison.Ordinal);
            var close = end < 0 ? -1 : text.IndexOf("}}", end, StringComparison.Ordinal);
            return close >= 0 ? close : throw new FormatException($"comment without `*/}}}}` at line {Line(text, open)}");
        }
        for (var i = body; i < text.Length - 1; i++)
        {
            if (text[i] is '`' or '"')
            {
                var quote = text[i];
                do
                    i += text[i] == '\\' && quote == '"' ? 2 : 1;
                while (i < text.Length && text[i] != quote);
            }
            else if (text[i] == '}' && text[i + 1] == '}')
                return i;
            else if (text[i] == '{' && text[i + 1] == '{')
                break;
        }
        throw new FormatException($"`{{{{` without `}}}}` at line {Line(text, open)}");
    }

    /// <summary>Problems with if/range/with/define/block … end and else; empty when every block closes.</summary>
    public static IReadOnlyList<string> BlockProblems(string text)
    {
        var open = new Stack<string>();
        var problems = new List<string>();
        foreach (var action in Actions(text).Where(a => !a.StartsWith("/*", StringComparison.Ordinal)))
        {
            var word = action.Split([' ', '\t', '\n', '('], 2)[0];
            if (Openers.Contains(word))
                open.Push(action);
            else if (word == "else" && (open.Count == 0 || !open.Peek().StartsWith("if") && !open.Peek().StartsWith("with") && !open.Peek().StartsWith("range")))
                problems.Add($"`{action}` outside if/with/range");
            else if (word == "end" && !open.TryPop(out _))
                problems.Add("`end` without a block to close");
        }
        problems.AddRange(open.Select(a => $"`{a}` is never closed"));
        return problems;
    }

    /// <summary>Every <c>.Values.a.b</c> path an action reads, as "a.b".</summary>
    public static IEnumerable<string> ValuesPaths(string text) =>
        Actions(text).SelectMany(a => ValuesPath().Matches(a)).Select(m => m.Groups[1].Value).Distinct();

    /// <summary>Whether a dotted path names a key of the values (its value may be empty).</summary>
    public static bool Exists(JsonObject values, string path)
    {
        JsonNode? node = values;
        foreach (var key in path.Split('.'))
        {
            if (node is not JsonObject map || !map.TryGetPropertyValue(key, out node))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Renders a template made only of comments, whole-line directives (dropped: labels, conditions), string literals and
    /// substitutions of values, the release and the chart's fullname; anything else throws.
    /// </summary>
    public static string RenderPlain(string text, JsonObject values, string release, string releaseNamespace)
    {
        var withoutComments = Comment().Replace(text, "");
        var kept = string.Join('\n', withoutComments.Split('\n').Where(l => !WholeLineDirective().IsMatch(l)));
        var rendered = new System.Text.StringBuilder();
        var at = 0;
        foreach (var (start, end, action) in Spans(kept))
        {
            rendered.Append(kept, at, start - at).Append(Substitute(action, values, release, releaseNamespace));
            at = end;
        }
        return rendered.Append(kept, at, kept.Length - at).ToString();
    }

    private static string Substitute(string action, JsonObject values, string release, string releaseNamespace)
    {
        if (action == ".Release.Namespace")
            return releaseNamespace;
        if (FullnameInclude().IsMatch(action))
            return release;
        if (action.Length >= 2 && action[0] == '`' && action[^1] == '`')
            return action[1..^1];
        if (action.Length >= 2 && action[0] == '"' && action[^1] == '"')
            return System.Text.Json.JsonSerializer.Deserialize<string>(action)!;
        if (ValuesPath().Match(action) is { Success: true } path && path.Value == action)
            return path.Groups[1].Value.Split('.').Aggregate((JsonNode?)values, (node, key) => node?[key])?.ToString()
                ?? throw new KeyNotFoundException($".Values.{path.Groups[1].Value}");
        throw new NotSupportedException($"`{{{{ {action} }}}}` is more than a plain substitution");
    }

    private static int Line(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    [GeneratedRegex(@"\.Values\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")]
    private static partial Regex ValuesPath();

    [GeneratedRegex(@"\{\{-?\s*/\*.*?\*/\s*-?\}\}\n?", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"^\s*\{\{-[^}]*\}\}\s*$")]
    private static partial Regex WholeLineDirective();

    [GeneratedRegex("""^include "[a-z-]+\.fullname" \.$""")]
    private static partial Regex FullnameInclude();
}
