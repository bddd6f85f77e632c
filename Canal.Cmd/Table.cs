namespace Canal.Cmd;

/// <summary>A plain aligned text table: headers in capitals, columns two spaces apart, for people.</summary>
internal static class Table
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        if (all.Count == 0)
            return "(none)\n";
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        var sb = new System.Text.StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            sb.Append(string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd()).Append('\n');
        Line(headers);
        foreach (var row in all)
            Line(row);
        return sb.ToString();
    }
}
