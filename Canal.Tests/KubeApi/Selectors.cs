using System.Globalization;
using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// A label selector in the apiserver's string syntax: <c>a=b, c!=d, e in (f,g), h notin (i), j, !k, n&gt;1</c>.
/// <c>!=</c> and <c>notin</c> also match objects without the label, as in Kubernetes.
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements;

    private LabelSelector(List<Func<IReadOnlyDictionary<string, string>, bool>> requirements) => _requirements = requirements;

    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] is JsonObject map
            ? map.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "")
            : [];
        return _requirements.All(r => r(labels));
    }

    public static LabelSelector Parse(string? text)
    {
        var requirements = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        var lexer = new Lexer(text ?? "");
        while (!lexer.AtEnd)
        {
            requirements.Add(ParseRequirement(lexer));
            if (!lexer.AtEnd && lexer.Next() != ",")
                throw Fail("expected ',' between requirements");
        }
        return new LabelSelector(requirements);
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseRequirement(Lexer lexer)
    {
        if (lexer.Peek() == "!")
        {
            lexer.Next();
            var absent = Key(lexer.Next());
            return labels => !labels.ContainsKey(absent);
        }
        var key = Key(lexer.Next());
        if (lexer.AtEnd || lexer.Peek() == ",")
            return labels => labels.ContainsKey(key);
        switch (lexer.Next())
        {
            case "=" or "==":
                var equal = Value(lexer.NextValue());
                return labels => labels.TryGetValue(key, out var v) && v == equal;
            case "!=":
                var different = Value(lexer.NextValue());
                return labels => !labels.TryGetValue(key, out var v) || v != different;
            case "in":
                var set = ValueSet(lexer);
                return labels => labels.TryGetValue(key, out var v) && set.Contains(v);
            case "notin":
                var excluded = ValueSet(lexer);
                return labels => !labels.TryGetValue(key, out var v) || !excluded.Contains(v);
            case var op and (">" or "<"):
                var bound = Number(lexer.NextValue());
                return labels => labels.TryGetValue(key, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out var n) && (op == ">" ? n > bound : n < bound);
            case var other:
                throw Fail($"found '{other}', expected: in, notin, =, ==, !=, gt, lt");
        }
    }

    private static HashSet<string> ValueSet(Lexer lexer)
    {
        if (lexer.Next() != "(")
            throw Fail("expected '(' after in or notin");
        var values = new HashSet<string>();
        while (true)
        {
            if (lexer.Peek() == ")")
            {
                lexer.Next();
                return values.Count > 0 ? values : throw Fail("for 'in', 'notin' operators, values set can't be empty");
            }
            values.Add(Value(lexer.NextValue()));
            if (lexer.Peek() == ",")
                lexer.Next();
            else if (lexer.Peek() != ")")
                throw Fail("expected ',' or ')' in a set of values");
        }
    }

    private static string Key(string token) =>
        token.Length > 0 && Lexer.IsWord(token) ? token : throw Fail($"found '{token}', expected: !, identifier");

    private static string Value(string token) =>
        token.Length <= 63 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? token : throw Fail($"invalid label value: \"{token}\"");

    private static long Number(string token) =>
        long.TryParse(token, CultureInfo.InvariantCulture, out var n) ? n : throw Fail($"for 'Gt', 'Lt' operators, the value must be an integer: {token}");

    private static KubeApiException Fail(string why) => Status.BadRequest($"unable to parse requirement: {why}");

    /// <summary>Splits a selector into words, operators and punctuation, skipping spaces.</summary>
    private sealed class Lexer(string text)
    {
        private int _at;

        public bool AtEnd { get { SkipSpaces(); return _at >= text.Length; } }

        public string Peek()
        {
            var start = _at;
            var token = Next();
            _at = start;
            return token;
        }

        public string Next()
        {
            SkipSpaces();
            if (_at >= text.Length)
                return "";
            foreach (var op in (string[])["==", "!=", "=", "!", "<", ">", "(", ")", ","])
            {
                if (string.CompareOrdinal(text, _at, op, 0, op.Length) == 0)
                {
                    _at += op.Length;
                    return op;
                }
            }
            var start = _at;
            while (_at < text.Length && IsWordChar(text[_at]))
                _at++;
            return text[start.._at];
        }

        /// <summary>A value may be empty (<c>a=</c> selects an empty label value).</summary>
        public string NextValue() => AtEnd || Peek() is "," or ")" ? "" : Next();

        public static bool IsWord(string token) => token.All(IsWordChar);

        private static bool IsWordChar(char c) => !char.IsWhiteSpace(c) && c is not (',' or '(' or ')' or '!' or '=' or '<' or '>');

        private void SkipSpaces()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at]))
                _at++;
        }
    }
}

/// <summary>
/// A field selector: every emulated resource supports metadata.name and metadata.namespace, as the real ones do;
/// Events and Pods also the fields their real registries select on.
/// </summary>
internal sealed class FieldSelector
{
    private static readonly IReadOnlyDictionary<string, Func<JsonObject, string?>> Common = new Dictionary<string, Func<JsonObject, string?>>
    {
        ["metadata.name"] = o => (string?)o["metadata"]?["name"],
        ["metadata.namespace"] = o => (string?)o["metadata"]?["namespace"],
    };

    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, Func<JsonObject, string?>>> ByResource = new Dictionary<string, IReadOnlyDictionary<string, Func<JsonObject, string?>>>
    {
        ["events"] = new Dictionary<string, Func<JsonObject, string?>>(Common)
        {
            ["involvedObject.kind"] = o => (string?)o["involvedObject"]?["kind"],
            ["involvedObject.namespace"] = o => (string?)o["involvedObject"]?["namespace"],
            ["involvedObject.name"] = o => (string?)o["involvedObject"]?["name"],
            ["reason"] = o => (string?)o["reason"],
            ["type"] = o => (string?)o["type"],
            ["reportingComponent"] = o => (string?)o["reportingComponent"],
            // The real registry falls back to the reporting controller when source.component is empty.
            ["source"] = o => (string?)o["source"]?["component"] is { Length: > 0 } component ? component : (string?)o["reportingComponent"],
        },
        ["pods"] = new Dictionary<string, Func<JsonObject, string?>>(Common)
        {
            ["spec.nodeName"] = o => (string?)o["spec"]?["nodeName"],
            ["status.phase"] = o => (string?)o["status"]?["phase"],
        },
    };

    private readonly List<(Func<JsonObject, string?> Field, bool Equal, string Value)> _terms;

    private FieldSelector(List<(Func<JsonObject, string?>, bool, string)> terms) => _terms = terms;

    public bool IsEmpty => _terms.Count == 0;

    public bool Matches(JsonObject obj) => _terms.All(t => ((t.Field(obj) ?? "") == t.Value) == t.Equal);

    public static FieldSelector Parse(string? text, string resource = "")
    {
        var fields = ByResource.GetValueOrDefault(resource) ?? Common;
        var terms = new List<(Func<JsonObject, string?>, bool, string)>();
        foreach (var term in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (field, equal, value) = term.IndexOf("!=", StringComparison.Ordinal) is var ne and >= 0
                ? (term[..ne], false, term[(ne + 2)..])
                : term.IndexOf('=') is var eq and >= 0
                    ? (term[..eq], true, term[(eq + 1)..].TrimStart('='))
                    : throw Status.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            field = field.Trim();
            if (!fields.TryGetValue(field, out var read))
                throw Status.BadRequest($"field label not supported: {field}");
            terms.Add((read, equal, value.Trim()));
        }
        return new FieldSelector(terms);
    }
}
