using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Canal.Cmd;

/// <summary>
/// As a kubectl plugin (<c>kubectl canal --pod P --pod-namespace N …</c>): reaches a pod's management port through
/// <c>kubectl port-forward</c> on a free local port, for as long as the command runs.
/// </summary>
internal sealed partial class PortForward : IDisposable
{
    private const int ManagementPort = 9110;
    private readonly Process _kubectl;

    private PortForward(Process kubectl, string endpoint)
    {
        _kubectl = kubectl;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<PortForward> Start(string pod, string? ns)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "port-forward", $"pod/{pod}", $":{ManagementPort}" }.Concat(ns != null ? ["--namespace", ns] : []))
            start.ArgumentList.Add(arg);
        var kubectl = Process.Start(start) ?? throw new InvalidOperationException("kubectl could not be started");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await kubectl.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (ForwardingLine().Match(line) is { Success: true } match)
                return new PortForward(kubectl, $"127.0.0.1:{match.Groups[1].Value}");
        }
        var error = await kubectl.StandardError.ReadToEndAsync();
        throw new InvalidOperationException($"kubectl port-forward to pod/{pod} failed: {error.Trim()}");
    }

    public void Dispose()
    {
        if (!_kubectl.HasExited)
            _kubectl.Kill();
        _kubectl.Dispose();
    }

    [GeneratedRegex(@"Forwarding from 127\.0\.0\.1:(\d+) ->")]
    private static partial Regex ForwardingLine();
}
