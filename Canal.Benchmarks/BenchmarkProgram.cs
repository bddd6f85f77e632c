using System.Globalization;
using BenchmarkDotNet.Running;
using Canal.Benchmarks.Scale;

namespace Canal.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project Canal.Benchmarks -- SCENARIO [options]</c>: the scale harness
/// (initial-sync, steady-change, churn, restart, events, failover, rolling, all, size-limit, smoke) or the BenchmarkDotNet micro-benchmarks (micro).
/// </summary>
internal static class BenchmarkProgram
{
    private const string Usage = """
        usage: Canal.Benchmarks SCENARIO [options]
          initial-sync    cold start with N VirtualServices: time and ConfigMap writes until every redirect is in, memory, baseline
          steady-change   one VirtualService created or deleted at a time: latency to the write that holds it
          churn           rising rates of changes: the highest rate at which lag stays bounded
          restart         restart on persisted data: time to the sync barrier, against the listing alone
          events          Kubernetes Events posted by a first start, a restart and one change
          failover        3 nodes on PostgreSQL: kill -9 of the DnsWriter's node, time until the next change is written
          rolling         3 nodes on PostgreSQL: each in turn SIGTERM'd and replaced, time until the next change is written
          all             all of these but events, for each N
          size-limit      where each DNS mode's Corefile reaches the ConfigMap's 1 MiB
          micro [args]    BenchmarkDotNet: Corefile parse + render, host rules (args go to BenchmarkDotNet)
          smoke           every scenario at N=100, briefly, nothing written: a check that the harness works
          A,B,...         several of the scale scenarios on one Canal per N (initial-sync,steady-change,restart)
        options:
          --n 1000,10000       sizes (default: 1000,10000,100000 for initial-sync and all, else 10000)
          --target T           emulator, memory or both (default both)
          --samples S          steady-change samples (default 200)
          --rates R1,R2        churn rates per second, tried in order until lag grows (default 50,100,200,500,1000,2000,5000)
          --window-s W         seconds each churn rate runs (default 5)
          --no-report          print only; leave BENCHMARKS.md alone
        """;

    private static readonly string[] ScaleScenarios = ["initial-sync", "steady-change", "churn", "restart", "events", "failover", "rolling"];

    /// <summary>Scenarios on three nodes and PostgreSQL, run by <see cref="ReplicaRun"/>; the rest by <see cref="ScaleRun"/>.</summary>
    private static readonly string[] ReplicaScenarios = ["failover", "rolling"];

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var scenario = args[0];
        if (scenario == ListingFloor.Scenario && args.Length == 2)
            return await ListingFloor.Run(args[1]);
        if (scenario == "micro")
        {
            var started = DateTime.UtcNow;
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args.Length > 1 ? args[1..] : ["--filter", "*"]).ToList();
            var micro = new Table("micro");
            // BenchmarkDotNet's GitHub-flavoured tables, one per benchmark class, from this run only.
            foreach (var github in summaries.Select(s => s.ResultsDirectoryPath).Distinct()
                         .SelectMany(d => Directory.GetFiles(d, "*-report-github.md"))
                         .Where(f => File.GetLastWriteTimeUtc(f) >= started)
                         .Order())
                micro.Notes.Add(File.ReadAllText(github).Trim());
            if (micro.Notes.Count > 0 && Report.RepositoryRoot() is { } root)
                Report.Write(Path.Combine(root, "BENCHMARKS.md"), [micro], "Canal.Benchmarks " + string.Join(' ', args));
            return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
        }
        ScaleOptions options;
        bool report;
        try
        {
            (options, report) = Parse(scenario, args[1..]);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}\n\n{Usage}");
            return 2;
        }

        var tables = new List<Table>();
        if (scenario is "size-limit" or "smoke")
            tables.Add(SizeLimit.Run());
        string? failure = null;
        if (options.Scenarios.Count > 0)
        {
            var scale = new ScaleRun(options, Console.Out);
            var replicas = new ReplicaRun(options, Console.Out);
            var runTables = scale.Tables.Concat(replicas.Tables).ToList();
            try
            {
                if (options.Scenarios.Except(ReplicaScenarios).Any())
                    await scale.Run();
                if (options.Scenarios.Intersect(ReplicaScenarios).Any())
                    await replicas.Run();
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or Xunit.Sdk.XunitException)
            {
                // What finished is still reported, with what stopped the rest.
                failure = e.Message;
                Console.Error.WriteLine($"error: {failure}");
                foreach (var table in runTables.Where(t => !t.IsEmpty))
                    table.Notes.Add($"The run stopped early: {failure.Split('\n')[0]}");
            }
            tables.AddRange(runTables);
        }
        foreach (var table in tables.Where(t => !t.IsEmpty))
            Console.WriteLine(table.Text());
        if (report)
        {
            var path = Path.Combine(Report.RepositoryRoot() ?? Directory.GetCurrentDirectory(), "BENCHMARKS.md");
            Report.Write(path, tables, "Canal.Benchmarks " + string.Join(' ', args));
            Console.WriteLine($"written to {path}");
        }
        return failure == null ? 0 : 1;
    }

    private static (ScaleOptions Options, bool Report) Parse(string scenario, string[] args)
    {
        var scenarios = scenario switch
        {
            // Events are paced by their rate limit (10k take ~17 min): they run on their own, and in smoke.
            "all" => ScaleScenarios.Except(["events"]).ToArray(),
            "smoke" => ScaleScenarios,
            "size-limit" => [],
            _ => scenario.Split(',', StringSplitOptions.TrimEntries)
                .Select(s => ScaleScenarios.Contains(s) ? s : throw new FormatException($"unknown scenario '{s}'")).ToArray(),
        };
        var options = new ScaleOptions
        {
            Scenarios = scenarios.ToHashSet(),
            Sizes = scenario is "all" || scenarios.Contains("initial-sync") ? [1_000, 10_000, 100_000] : [10_000],
        };
        var report = true;
        if (scenario == "smoke")
        {
            options = options with { Sizes = [100], Samples = 10, ChurnRates = [50, 200], ChurnWindow = TimeSpan.FromSeconds(1) };
            report = false;
        }
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--n" => options with { Sizes = Numbers(Value(), "--n") },
                "--target" => options with
                {
                    Targets = Value() switch
                    {
                        "both" => ["emulator", "memory"],
                        "emulator" => ["emulator"],
                        "memory" => ["memory"],
                        var t => throw new FormatException($"--target is emulator, memory or both, not '{t}'"),
                    },
                },
                "--samples" => options with { Samples = Numbers(Value(), "--samples").Single() },
                "--rates" => options with { ChurnRates = Numbers(Value(), "--rates") },
                "--window-s" => options with { ChurnWindow = TimeSpan.FromSeconds(Numbers(Value(), "--window-s").Single()) },
                "--kubelet-period-s" => options with { KubeletPeriod = TimeSpan.FromSeconds(Numbers(Value(), "--kubelet-period-s").Single()) },
                "--nudge" => options with { Nudge = true },
                "--no-report" => options,
                var unknown => throw new FormatException($"unknown option '{unknown}'"),
            };
            if (args[i] == "--no-report")
                report = false;
        }
        return (options, report);
    }

    private static List<int> Numbers(string text, string option)
    {
        var numbers = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new FormatException($"{option} takes positive whole numbers, not '{t}'"))
            .ToList();
        return numbers.Count > 0 ? numbers : throw new FormatException($"{option} needs at least one number");
    }
}
