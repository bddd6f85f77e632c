using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Canal.Tests.Support;

/// <summary>
/// Prometheus with an Alertmanager, from Debian's packages (installed by build.ps1 test), each on a free loopback port
/// with its own storage in a temporary directory: scraping the given targets and evaluating the given rules every
/// second, sending what fires to the Alertmanager. Both processes are killed when disposed.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;
    private readonly List<Process> _processes = [];
    private readonly List<TextWriter> _logs = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly int _port = Ports.Free();
    private readonly int _alertmanagerPort = Ports.Free();

    private PrometheusServer(DirectoryInfo directory) => _directory = directory;

    /// <summary>Starts both and waits until they are ready; <paramref name="rules"/> is a rule file's content (its groups).</summary>
    public static async Task<PrometheusServer> Start(IEnumerable<(string Job, string Target)> targets, JsonObject rules)
    {
        var server = new PrometheusServer(Directory.CreateTempSubdirectory("canal-prometheus-"));
        try
        {
            await server.StartProcesses(targets, rules);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcesses(IEnumerable<(string Job, string Target)> targets, JsonObject rules)
    {
        var dir = _directory.FullName;
        // JSON is YAML: each file is written as JSON.
        File.WriteAllText(Path.Combine(dir, "rules.yaml"), rules.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "alertmanager.yaml"), new JsonObject
        {
            ["route"] = new JsonObject { ["receiver"] = "tests", ["group_wait"] = "0s", ["group_interval"] = "1s" },
            ["receivers"] = new JsonArray(new JsonObject { ["name"] = "tests" }),
        }.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "prometheus.yaml"), new JsonObject
        {
            ["global"] = new JsonObject { ["scrape_interval"] = "1s", ["evaluation_interval"] = "1s" },
            ["rule_files"] = new JsonArray("rules.yaml"),
            ["alerting"] = new JsonObject
            {
                ["alertmanagers"] = new JsonArray(new JsonObject { ["static_configs"] = new JsonArray(new JsonObject { ["targets"] = new JsonArray($"127.0.0.1:{_alertmanagerPort}") }) }),
            },
            ["scrape_configs"] = new JsonArray([.. targets.Select(t => (JsonNode)new JsonObject
            {
                ["job_name"] = t.Job,
                ["static_configs"] = new JsonArray(new JsonObject { ["targets"] = new JsonArray(t.Target) }),
            })]),
        }.ToJsonString());

        Launch("prometheus-alertmanager", "--config.file", Path.Combine(dir, "alertmanager.yaml"), "--storage.path", Path.Combine(dir, "alertmanager"),
            "--web.listen-address", $"127.0.0.1:{_alertmanagerPort}", "--cluster.listen-address=");
        Launch("prometheus", "--config.file", Path.Combine(dir, "prometheus.yaml"), "--storage.tsdb.path", Path.Combine(dir, "data"),
            "--web.listen-address", $"127.0.0.1:{_port}", "--rules.alert.resend-delay=1s");
        await Eventually.True(() => Ready($"http://127.0.0.1:{_port}/-/ready") && Ready($"http://127.0.0.1:{_alertmanagerPort}/-/ready"),
            () => $"Prometheus and Alertmanager to be ready\n{Log()}", TimeSpan.FromSeconds(60));
    }

    /// <summary>The result of an instant query (its <c>data.result</c>).</summary>
    public async Task<JsonArray> Query(string promql)
    {
        var answer = await _http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{_port}/api/v1/query?query={Uri.EscapeDataString(promql)}");
        return answer?["data"]?["result"]?.AsArray() ?? throw new InvalidOperationException($"no result for {promql}: {answer}");
    }

    /// <summary>The alerts Prometheus holds now (pending or firing).</summary>
    public async Task<IReadOnlyList<JsonObject>> Alerts() =>
        [.. (await _http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{_port}/api/v1/alerts"))!["data"]!["alerts"]!.AsArray().Select(a => a!.AsObject())];

    /// <summary>The alerts the Alertmanager received and still holds active.</summary>
    public async Task<IReadOnlyList<JsonObject>> AlertmanagerAlerts() =>
        [.. (await _http.GetFromJsonAsync<JsonArray>($"http://127.0.0.1:{_alertmanagerPort}/api/v2/alerts?active=true"))!.Select(a => a!.AsObject())];

    /// <summary>What the processes printed, for a failure's message.</summary>
    public string Log() => string.Join('\n', Directory.GetFiles(_directory.FullName, "*.log").Select(f => $"{Path.GetFileName(f)}:\n{Tail(f)}"));

    /// <summary><c>promtool check rules</c> on a rule file's content: its exit code and what it printed.</summary>
    public static async Task<(int Exit, string Output)> CheckRules(JsonObject rules) => await Promtool("check", "rules", rules);

    /// <summary><c>promtool test rules</c> on a unit test file's content that names <paramref name="rules"/> as <c>rules.yaml</c>.</summary>
    public static async Task<(int Exit, string Output)> TestRules(JsonObject rules, JsonObject tests) => await Promtool("test", "rules", rules, tests);

    private static async Task<(int Exit, string Output)> Promtool(string command, string subcommand, JsonObject rules, JsonObject? tests = null)
    {
        var dir = Directory.CreateTempSubdirectory("canal-promtool-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "rules.yaml"), rules.ToJsonString());
            if (tests != null)
                File.WriteAllText(Path.Combine(dir.FullName, "tests.yaml"), tests.ToJsonString());
            var (exit, output, error) = await ChildProcess.Run("promtool", [command, subcommand, tests == null ? "rules.yaml" : "tests.yaml"], dir.FullName);
            return (exit, output + error);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private void Launch(string file, params string[] args)
    {
        var log = Path.Combine(_directory.FullName, $"{file}.log");
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = _directory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        _processes.Add(process);
        var writer = TextWriter.Synchronized(new StreamWriter(log) { AutoFlush = true });
        _logs.Add(writer);
        process.OutputDataReceived += (_, e) => { if (e.Data != null) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private bool Ready(string url)
    {
        try
        {
            return _http.GetAsync(url).Result.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or AggregateException or TaskCanceledException)
        {
            return false;
        }
    }

    private static string Tail(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var lines = new StreamReader(stream).ReadToEnd().Split('\n');
        return string.Join('\n', lines.TakeLast(20));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            process.Dispose();
        }
        foreach (var log in _logs)
            log.Dispose();
        _http.Dispose();
        _directory.Delete(recursive: true);
    }
}
