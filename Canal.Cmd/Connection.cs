using System.CommandLine;

namespace Canal.Cmd;

/// <summary>
/// The management API canal-cmd talks to, opened once from the options of the command line that starts it
/// (endpoint, token, pod): a prompt keeps it for every line it reads.
/// </summary>
internal sealed class Connection(string? leadingEndpoint) : IDisposable
{
    private const string DefaultEndpoint = "127.0.0.1:9110";
    private ManagementClient? _client;
    private PortForward? _forward;

    public async Task<ManagementClient> Open(ParseResult parsed, CancellationToken cancellationToken)
    {
        if (_client != null)
            return _client;
        var endpoint = parsed.GetValue(ConnectionOptions.Endpoint) ?? leadingEndpoint ?? Environment.GetEnvironmentVariable("CANAL_ENDPOINT") ?? DefaultEndpoint;
        var token = parsed.GetValue(ConnectionOptions.Token) ?? Environment.GetEnvironmentVariable("CANAL_TOKEN");
        if (parsed.GetValue(ConnectionOptions.TokenFile) is { } file)
        {
            try
            {
                token = (await File.ReadAllTextAsync(file.FullName, cancellationToken)).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConnectionException($"--token-file {file.FullName}: {e.Message}", CanalCmd.Misused);
            }
        }
        if (parsed.GetValue(ConnectionOptions.Pod) is { } pod)
        {
            try
            {
                _forward = await PortForward.Start(pod, parsed.GetValue(ConnectionOptions.PodNamespace));
                endpoint = _forward.Endpoint;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or OperationCanceledException)
            {
                throw new ConnectionException(e.Message, CanalCmd.Failed);
            }
        }
        return _client = new ManagementClient(endpoint, token);
    }

    public void Dispose()
    {
        _client?.Dispose();
        _forward?.Dispose();
    }
}

/// <summary>The API could not be opened; <see cref="ExitCode"/> says whether the user misused an option.</summary>
internal sealed class ConnectionException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
