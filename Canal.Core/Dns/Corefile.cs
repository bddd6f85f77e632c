namespace Canal.Dns;

/// <summary>
/// A parsed Corefile that remembers where everything is in the original text. Server blocks and
/// snippets <c>(name) { … }</c> are told apart; <c>import</c> is kept as a directive (snippets are
/// expanded on demand by <see cref="ExpandedDirectives"/>; file imports are left to CoreDNS).
/// </summary>
internal sealed class Corefile
{
    private Corefile(string text, List<ServerBlock> blocks)
    {
        Text = text;
        NewLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        ServerBlocks = [.. blocks.Where(b => !b.IsSnippet)];
        Snippets = blocks.Where(b => b.IsSnippet).GroupBy(b => b.Keys[0][1..^1]).ToDictionary(g => g.Key, g => g.Last());
    }

    public string Text { get; }
    public string NewLine { get; }
    public IReadOnlyList<ServerBlock> ServerBlocks { get; }
    public IReadOnlyDictionary<string, ServerBlock> Snippets { get; }

    /// <summary>Parses <paramref name="text"/>, or throws <see cref="CorefileException"/> saying where and why it is malformed.</summary>
    public static Corefile Parse(string text)
    {
        var all = CorefileLexer.Tokenize(text);
        var words = all.Where(t => t.Kind == TokenKind.Word).ToList();
        var comments = all.Where(t => t.Kind == TokenKind.Comment).ToList();
        var blocks = new List<ServerBlock>();
        var pos = 0;
        while (pos < words.Count)
        {
            var first = words[pos];
            // A top-level import pulls in server blocks from files CoreDNS reads; nothing for Canal to edit.
            if (first.Value == "import")
            {
                pos = SkipLine(words, pos);
                continue;
            }
            blocks.Add(ParseBlock(words, comments, ref pos, text.Length, isFirst: blocks.Count == 0));
        }
        return new Corefile(text, blocks);
    }

    /// <summary>The block's directives with <c>import</c> of snippets replaced by the snippets' directives.</summary>
    public IEnumerable<Directive> ExpandedDirectives(ServerBlock block) => Expand(block.Directives, []);

    private IEnumerable<Directive> Expand(IEnumerable<Directive> directives, HashSet<string> seen)
    {
        foreach (var directive in directives)
        {
            if (directive.Name == "import" && directive.Arguments.Count == 1
                && Snippets.TryGetValue(directive.Arguments[0], out var snippet) && seen.Add(directive.Arguments[0]))
            {
                foreach (var inner in Expand(snippet.Directives, seen))
                    yield return inner;
                seen.Remove(directive.Arguments[0]);
            }
            else
            {
                yield return directive;
            }
        }
    }

    private static int SkipLine(List<CorefileToken> words, int pos)
    {
        var line = words[pos].EndLine;
        while (++pos < words.Count && words[pos].Line == line) { }
        return pos;
    }

    private static ServerBlock ParseBlock(List<CorefileToken> words, List<CorefileToken> comments, ref int pos, int textLength, bool isFirst)
    {
        var start = words[pos];
        var keys = new List<string>();
        var expectingAnother = false;
        var lastLine = start.Line;
        while (pos < words.Count && !words[pos].IsOpen)
        {
            var token = words[pos];
            if (token.IsClose)
                throw new CorefileException("unexpected '}' with no block open", token.Line);
            if (keys.Count > 0 && !expectingAnother && token.Line > lastLine)
                break;
            var key = token.Value;
            expectingAnother = key.EndsWith(',');
            if (expectingAnother)
                key = key[..^1];
            if (key.Length > 0)
                keys.Add(key);
            lastLine = token.EndLine;
            pos++;
        }
        if (expectingAnother)
            throw new CorefileException("a server block key ends with ',' but no key follows", lastLine);
        if (keys.Count == 0)
            throw new CorefileException("'{' opens a block without a server block key (such as '.:53')", words[pos].Line);

        if (pos == words.Count || !words[pos].IsOpen)
        {
            // CoreDNS accepts braces-free syntax only for a Corefile's single server block.
            if (!isFirst)
                throw new CorefileException($"server block '{string.Join(" ", keys)}' has no '{{'", start.Line);
            var unbraced = ParseDirectives(words, ref pos, closeAllowed: false);
            return Block(keys, start.Start, -1, textLength, unbraced, comments);
        }

        var open = words[pos++];
        var directives = ParseDirectives(words, ref pos, closeAllowed: true);
        if (pos == words.Count)
            throw new CorefileException($"the block '{string.Join(" ", keys)}' opened here is never closed (missing '}}')", open.Line);
        var close = words[pos++];
        return Block(keys, start.Start, open.Start, close.Start, directives, comments);
    }

    private static ServerBlock Block(List<string> keys, int start, int open, int close, List<Directive> directives, List<CorefileToken> comments)
    {
        // Comments directly in the block, not inside a directive's own block, are where the canal markers live.
        var own = comments
            .Where(c => c.Start > open && c.Start < close && !directives.Any(d => c.Start > d.Start && c.Start < d.End))
            .ToList();
        return new ServerBlock(keys, start, open, close, directives, own);
    }

    private static List<Directive> ParseDirectives(List<CorefileToken> words, ref int pos, bool closeAllowed)
    {
        var directives = new List<Directive>();
        while (pos < words.Count)
        {
            var name = words[pos];
            if (name.IsClose)
            {
                if (closeAllowed)
                    return directives;
                throw new CorefileException("unexpected '}' with no block open", name.Line);
            }
            if (name.IsOpen)
                throw new CorefileException("'{' where a directive name was expected", name.Line);

            var tokens = new List<CorefileToken> { name };
            var nesting = 0;
            var lastLine = name.EndLine;
            var openLines = new Stack<int>();
            pos++;
            while (pos < words.Count)
            {
                var token = words[pos];
                if (nesting == 0 && token.Line > lastLine)
                    break;
                if (token.IsOpen)
                {
                    nesting++;
                    openLines.Push(token.Line);
                }
                else if (token.IsClose)
                {
                    if (nesting == 0)
                        throw new CorefileException($"'}}' on the same line as directive '{name.Value}' (a closing brace needs a line of its own)", token.Line);
                    nesting--;
                    openLines.Pop();
                }
                tokens.Add(token);
                lastLine = token.EndLine;
                pos++;
            }
            if (nesting > 0)
                throw new CorefileException($"the block of directive '{name.Value}' opened here is never closed (missing '}}')", openLines.Last());
            directives.Add(new Directive(tokens));
        }
        return directives;
    }
}

/// <summary>A server block (or snippet): its keys, the offsets of its braces, its directives and its own comments.</summary>
/// <param name="OpenBrace">Offset of <c>{</c>, or -1 for a braces-free block.</param>
/// <param name="CloseBrace">Offset of <c>}</c>, or the text's length for a braces-free block.</param>
internal sealed record ServerBlock(
    IReadOnlyList<string> Keys,
    int Start,
    int OpenBrace,
    int CloseBrace,
    IReadOnlyList<Directive> Directives,
    IReadOnlyList<CorefileToken> Comments)
{
    public bool IsSnippet => Keys.Count == 1 && Keys[0].Length > 2 && Keys[0][0] == '(' && Keys[0][^1] == ')';
}

/// <summary>A directive with all its tokens, including a nested block if it has one.</summary>
internal sealed record Directive(IReadOnlyList<CorefileToken> Tokens)
{
    public string Name => Tokens[0].Value;
    public int Line => Tokens[0].Line;
    public int Start => Tokens[0].Start;
    public int End => Tokens[^1].End;

    /// <summary>The arguments on the directive's own line, before any block.</summary>
    public IReadOnlyList<string> Arguments => [.. Tokens.Skip(1).TakeWhile(t => !t.IsOpen).Select(t => t.Value)];
}
