using System.Collections.Concurrent;
using System.Diagnostics;
using Canal.Tests.Support;

namespace Canal.Tests.KubeApi;

/// <summary>
/// The real kubectl on PATH, pointed at an emulator through a kubeconfig, with its own HOME and discovery cache
/// in a temporary directory so no test sees another's cache.
/// </summary>
internal sealed class Kubectl : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _home = Directory.CreateTempSubdirectory("kubectl-").FullName;
    private readonly string _kubeconfig;

    public Kubectl(KubeApiServer server)
    {
        _kubeconfig = Path.Combine(_home, "kubeconfig");
        server.WriteKubeconfig(_kubeconfig);
    }

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public async Task<Result> Run(params string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs kubectl and fails the test unless it exits 0.</summary>
    public async Task<string> Ok(params string[] args)
    {
        var result = await Run(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result}");
        return result.Output;
    }

    /// <summary>A kubectl left running (get -w), its output lines collected as they come.</summary>
    public Background StartBackground(params string[] args) => new(Process.Start(Start(args))!);

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private ProcessStartInfo Start(string[] args)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(Path.Combine(_home, "cache"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["KUBECONFIG"] = _kubeconfig;
        start.Environment["HOME"] = _home;
        return start;
    }

    internal sealed class Background : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        public Background(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue(e.Data); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue("stderr: " + e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public IReadOnlyList<string> Lines => [.. _lines];

        public Task WaitForLine(Func<string, bool> match, string what) =>
            Eventually.True(() => _lines.Any(match), $"{what}; kubectl printed:\n{string.Join('\n', _lines)}", Timeout);

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
