using System.Collections.Concurrent;
using System.Diagnostics;

namespace Canal.Tests.Support;

/// <summary>A real <c>canal</c> process (the built canal.dll next to the tests), its output collected line by line.</summary>
internal sealed class CanalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private CanalProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Output => string.Join('\n', _lines);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts canal; <c>run</c> gets a free management port unless the test chose one (tests run side by side).</summary>
    public static CanalProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Starts canal with <paramref name="environment"/> added to its environment (settings such as Canal__Bootstrap__Enabled).</summary>
    public static CanalProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run("canal.dll", workingDirectory, null, args is ["run", ..] && !args.Contains("--management-port") ? [.. args, "--management-port", Ports.Free().ToString()] : args, environment);

    /// <summary>The real canal-cmd; <paramref name="input"/>, when given, is typed at its prompt and then closed.</summary>
    public static CanalProcess Cmd(string? input, params string[] args) => Run("canal-cmd.dll", AppContext.BaseDirectory, input, args, new Dictionary<string, string>());

    private static CanalProcess Run(string dll, string workingDirectory, string? input, string[] args, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        var process = Process.Start(start)!;
        if (input != null)
            process.StandardInput.Write(input);
        process.StandardInput.Close();
        return new CanalProcess(process);
    }

    public Task WaitForLine(Func<string, bool> match, string what, TimeSpan? timeout = null) =>
        Eventually.True(() => _lines.Any(match), () => $"{what}; output so far:\n{Output}", timeout);

    /// <summary>SIGTERM, as Kubernetes stops a pod, and wait for the process to exit.</summary>
    public async Task Stop()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit();
    }

    /// <summary>Sends a signal (STOP freezes the process as a partition would, CONT thaws it).</summary>
    public async Task Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString()]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for a command that ends by itself (<c>canal dns purge</c>, <c>canal render</c>).</summary>
    public async Task WaitForExit()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit();
    }

    /// <summary>kill -9: no shutdown, no flush.</summary>
    public async Task Crash()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
            await Crash();
        _process.Dispose();
    }

    private bool _disposed;
}
