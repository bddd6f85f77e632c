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
    public static IReadOnlyList<string> Actions(string text)
    {
        var actions = new List<string>();
        var at = 0;
        while (true)
        {
            var open = text.IndexOf("{{", at, StringComparison.Ordinal);
            var strayClose = text.IndexOf("}}", at, StringComparison.Ordinal);
            if (strayClose >= 0 && (open < 0 || strayClose < open))
                throw new FormatException($"`}}}}` without `{{{{` at line {Line(text, strayClose)}");
            if (open < 0)
                return actions;
            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            var nextOpen = text.IndexOf("{{", open + 2, StringComparison.Ordinal);
            if (close < 0 || nextOpen >= 0 && nextOpen < close)
                throw new FormatException($"`{{{{` without `}}}}` at line {Line(text, open)}");
            actions.Add(text[(open + 2)..close].Trim().TrimStart('-').TrimEnd('-').Trim());
            at = close + 2;
        }
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
    /// Renders a template made only of comments, whole-line directives (dropped: labels, conditions) and
    /// substitutions of values, the release and the chart's fullname; anything else throws.
    /// </summary>
    public static string RenderPlain(string text, JsonObject values, string release, string releaseNamespace)
    {
        var withoutComments = Comment().Replace(text, "");
        var lines = withoutComments.Split('\n').Where(l => !WholeLineDirective().IsMatch(l));
        return Action().Replace(string.Join('\n', lines), match =>
        {
            var action = match.Groups[1].Value;
            if (action == ".Release.Namespace")
                return releaseNamespace;
            if (FullnameInclude().IsMatch(action))
                return release;
            if (ValuesPath().Match(action) is { Success: true } path && path.Value == action)
                return path.Groups[1].Value.Split('.').Aggregate((JsonNode?)values, (node, key) => node?[key])?.ToString()
                    ?? throw new KeyNotFoundException($".Values.{path.Groups[1].Value}");
            throw new NotSupportedException($"`{{{{ {action} }}}}` is more than a plain substitution");
        });
    }

    private static int Line(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    [GeneratedRegex(@"\.Values\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")]
    private static partial Regex ValuesPath();

    [GeneratedRegex(@"\{\{-?\s*/\*.*?\*/\s*-?\}\}\n?", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"^\s*\{\{-[^}]*\}\}\s*$")]
    private static partial Regex WholeLineDirective();

    [GeneratedRegex(@"\{\{-?\s*(.*?)\s*-?\}\}")]
    private static partial Regex Action();

    [GeneratedRegex("""^include "[a-z-]+\.fullname" \.$""")]
    private static partial Regex FullnameInclude();
}
