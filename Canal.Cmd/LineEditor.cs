namespace Canal.Cmd;

/// <summary>
/// Reads prompt lines: on a terminal with history (Up/Down) and tab completion, from redirected input
/// line by line. Null at end of input (Ctrl+D).
/// </summary>
internal sealed class LineEditor(Func<string, IReadOnlyList<string>> complete)
{
    private readonly List<string> _history = [];

    public string? Read(string prompt)
    {
        Console.Write(prompt);
        var line = Console.IsInputRedirected ? Console.In.ReadLine() : Edit(prompt);
        if (!string.IsNullOrWhiteSpace(line) && (_history.Count == 0 || _history[^1] != line))
            _history.Add(line);
        return line;
    }

    private string? Edit(string prompt)
    {
        var buffer = new System.Text.StringBuilder();
        var recalled = _history.Count;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return buffer.ToString();
                case ConsoleKey.Backspace when buffer.Length > 0:
                    buffer.Length--;
                    Console.Write("\b \b");
                    break;
                case ConsoleKey.Tab:
                    var text = buffer.ToString();
                    var typing = text[(text.LastIndexOf(' ') + 1)..];
                    var matches = complete(text).Where(m => m.StartsWith(typing, StringComparison.Ordinal)).ToList();
                    if (matches.Count == 1)
                        Append(buffer, matches[0][typing.Length..] + " ");
                    else if (matches.Count > 1)
                    {
                        Console.WriteLine();
                        Console.WriteLine(string.Join("  ", matches));
                        Console.Write(prompt + buffer);
                    }
                    break;
                case ConsoleKey.UpArrow when recalled > 0:
                    Replace(buffer, _history[--recalled]);
                    break;
                case ConsoleKey.DownArrow when recalled < _history.Count:
                    Replace(buffer, ++recalled < _history.Count ? _history[recalled] : "");
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && buffer.Length == 0:
                    Console.WriteLine();
                    return null;
                default:
                    if (!char.IsControl(key.KeyChar))
                        Append(buffer, key.KeyChar.ToString());
                    break;
            }
        }
    }

    private static void Append(System.Text.StringBuilder buffer, string text)
    {
        buffer.Append(text);
        Console.Write(text);
    }

    private static void Replace(System.Text.StringBuilder buffer, string text)
    {
        Console.Write(new string('\b', buffer.Length) + new string(' ', buffer.Length) + new string('\b', buffer.Length));
        buffer.Clear();
        Append(buffer, text);
    }
}
