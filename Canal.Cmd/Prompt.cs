using System.CommandLine;

namespace Canal.Cmd;

/// <summary>
/// The interactive prompt: every line is parsed by the same command tree as the shell's command line, so it
/// means the same (<c>canal hosts -o json</c>); Tab completes from that tree, Up and Down recall history.
/// </summary>
internal sealed class Prompt(CanalCmd cmd, Connection connection)
{
    private CancellationTokenSource _running = new();
    private bool _open;

    public CancellationToken Running => _running.Token;

    public void CancelRunning() => _running.Cancel();

    public async Task<int> Run(ParseResult started, CancellationToken cancellationToken)
    {
        if (_open)
        {
            started.InvocationConfiguration.Output.WriteLine("type a command ('help' lists them, 'exit' leaves)");
            return CanalCmd.Ok;
        }
        _open = true;
        ManagementClient client;
        try
        {
            client = await connection.Open(started, cancellationToken);
        }
        catch (ConnectionException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        Console.WriteLine($"canal-cmd {CanalCmd.ClientVersion} → {client.Endpoint}; 'help' lists the commands, Tab completes, 'exit' leaves");
        var editor = new LineEditor(Complete);
        while (editor.Read("canal> ") is { } line)
        {
            if (line.Trim() is "exit" or "quit")
                break;
            if (line.Trim().Length == 0)
                continue;
            _running = new CancellationTokenSource();
            await cmd.Run(cmd.Root.Parse(line), Console.Out, Console.Error, _running.Token);
        }
        return CanalCmd.Ok;
    }

    /// <summary>What may follow the typed text, from the command tree.</summary>
    private IReadOnlyList<string> Complete(string typed) =>
        [.. cmd.Root.Parse(typed).GetCompletions(typed.Length).Select(c => c.Label).Distinct().Order(StringComparer.Ordinal)];
}
