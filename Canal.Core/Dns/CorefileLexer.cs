namespace Canal.Dns;

internal enum TokenKind { Word, Comment }

/// <summary>One lexical token with its place in the original text, so edits can splice bytes exactly.</summary>
internal sealed record CorefileToken(TokenKind Kind, string Value, int Start, int End, int Line, int EndLine)
{
    public bool IsOpen => Kind == TokenKind.Word && Value == "{";
    public bool IsClose => Kind == TokenKind.Word && Value == "}";
}

/// <summary>
/// Splits a Corefile into tokens the way CoreDNS's Caddy-derived lexer does: whitespace separates tokens,
/// <c>#</c> outside quotes starts a comment, a <c>"</c> opens a quoted token only at a token's start and
/// <c>\"</c> escapes a quote inside it. A comment runs to the end of the line when <c>#</c> starts a token,
/// but only to the next whitespace when it comes inside a word (CoreDNS forgets the comment once it has
/// returned the word, so <c>log#note {</c> is <c>log {</c>). Braces are tokens only when they stand alone,
/// quoted or not (CoreDNS's parser compares a token's text only); <c>{$ENV}</c> and <c>{1}</c> are plain words.
/// </summary>
internal static class CorefileLexer
{
    public static List<CorefileToken> Tokenize(string text)
    {
        var tokens = new List<CorefileToken>();
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '#')
            {
                var end = text.IndexOf('\n', i);
                end = end < 0 ? text.Length : end;
                tokens.Add(new CorefileToken(TokenKind.Comment, text[i..end].TrimEnd('\r'), i, end, line, line));
                i = end;
            }
            else if (c == '"')
            {
                tokens.Add(ReadQuoted(text, ref i, ref line));
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != '#')
                    i++;
                tokens.Add(new CorefileToken(TokenKind.Word, text[start..i], start, i, line, line));
                if (i < text.Length && text[i] == '#')
                {
                    var comment = i;
                    while (i < text.Length && !char.IsWhiteSpace(text[i]))
                        i++;
                    tokens.Add(new CorefileToken(TokenKind.Comment, text[comment..i], comment, i, line, line));
                }
            }
        }
        return tokens;
    }

    private static CorefileToken ReadQuoted(string text, ref int i, ref int line)
    {
        var start = i;
        var startLine = line;
        var value = new System.Text.StringBuilder();
        i++;
        var escaped = false;
        while (i < text.Length)
        {
            var c = text[i++];
            if (!escaped && c == '\\')
            {
                escaped = true;
                continue;
            }
            if (!escaped && c == '"')
                return new CorefileToken(TokenKind.Word, value.ToString(), start, i, startLine, line);
            if (c == '\n')
                line++;
            // As in CoreDNS, a backslash escapes only a quote; before anything else it stays.
            if (escaped && c != '"')
                value.Append('\\');
            value.Append(c);
            escaped = false;
        }
        throw new CorefileException("a quoted string is never closed (missing '\"')", startLine);
    }
}
