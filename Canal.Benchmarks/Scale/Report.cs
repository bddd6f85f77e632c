using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Canal.Benchmarks.Scale;

/// <summary>One scenario's results: a table, and notes on how to read it.</summary>
internal sealed class Table(string scenario, params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public string Scenario { get; } = scenario;
    public List<string> Notes { get; } = [];

    public void Add(params object[] cells) =>
        _rows.Add([.. cells.Select(c => c switch
        {
            double d => d.ToString(d >= 100 ? "F0" : d >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => c.ToString() ?? "",
        })]);

    public bool IsEmpty => _rows.Count == 0 && Notes.Count == 0;

    /// <summary>Fixed-width columns for the console.</summary>
    public string Text()
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Prepend(h.Length).Max()).ToArray();
        var sb = new StringBuilder($"{Scenario}\n");
        sb.AppendLine(string.Join("  ", headers.Select((h, i) => h.PadLeft(widths[i]))));
        foreach (var row in _rows)
            sb.AppendLine(string.Join("  ", row.Select((c, i) => c.PadLeft(widths[i]))));
        foreach (var note in Notes)
            sb.AppendLine($"  {note}");
        return sb.ToString();
    }

    public string Markdown()
    {
        var sb = new StringBuilder();
        if (_rows.Count == 0)
            return string.Join("\n\n", Notes) + "\n";
        sb.AppendLine($"| {string.Join(" | ", headers)} |");
        sb.AppendLine($"|{string.Join("|", headers.Select(_ => "---:"))}|");
        foreach (var row in _rows)
            sb.AppendLine($"| {string.Join(" | ", row)} |");
        if (Notes.Count > 0)
            sb.AppendLine();
        foreach (var note in Notes)
            sb.AppendLine($"- {note}");
        return sb.ToString();
    }
}

/// <summary>
/// BENCHMARKS.md: one section per scenario, each replaced when that scenario runs again, each saying on what
/// machine, at which commit and when it ran.
/// </summary>
internal static class Report
{
    public static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{cpu ?? "unknown CPU"}, {Environment.ProcessorCount} cores, {memory:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    public static void Write(string path, IEnumerable<Table> tables, string commandLine)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : "";
        var sections = Sections(existing);
        var stamp = $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC at commit {Commit()} on {Machine()}: `{commandLine}`";
        foreach (var table in tables.Where(t => !t.IsEmpty))
            sections[table.Scenario] = $"{stamp}\n\n{table.Markdown()}";
        var sb = new StringBuilder(Header);
        foreach (var name in Order.Where(sections.ContainsKey).Concat(sections.Keys.Except(Order)))
            sb.Append($"\n## {name}\n\n{sections[name].TrimEnd()}\n");
        File.WriteAllText(path, sb.ToString());
    }

    /// <summary>The repository root (where Canal.sln is), from the current directory up.</summary>
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Canal.sln")))
                return dir.FullName;
        }
        return null;
    }

    private static readonly string[] Order = ["targets", "initial-sync", "steady-change", "churn", "restart", "failover", "rolling", "events", "size-limit", "micro"];

    private const string Header = """
        # Benchmarks

        Written by `dotnet run -c Release --project Canal.Benchmarks -- <scenario>` (or `./build.ps1 bench <scenario>`);
        each section is replaced when its scenario runs again. The workload, the targets and how each figure is taken
        are described in [Canal.Benchmarks/README.md](Canal.Benchmarks/README.md).

        """;

    private static Dictionary<string, string> Sections(string text)
    {
        var sections = new Dictionary<string, string>();
        var parts = ("\n" + text).Split("\n## ");
        foreach (var part in parts.Skip(1))
        {
            var newline = part.IndexOf('\n');
            if (newline > 0)
                sections[part[..newline].Trim()] = part[(newline + 1)..].Trim();
        }
        return sections;
    }

    private static string Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? commit : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
