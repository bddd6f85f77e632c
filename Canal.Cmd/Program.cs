using System.Text.RegularExpressions;
using Canal.Cmd;

// canal-cmd [host:port] [global options] <palette> <command> [args]: one command, or a prompt without one.
// Global options come before the palette; what follows belongs to the command.
var endpoint = Environment.GetEnvironmentVariable("CANAL_ENDPOINT") ?? "127.0.0.1:9110";
var json = false;
string? token = Environment.GetEnvironmentVariable("CANAL_TOKEN");
string? pod = null, podNamespace = null;
var words = new List<string>();
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => ++i < args.Length ? args[i] : throw new UsageException($"{args[i - 1]} needs a value");
        if (words.Count > 0)
            words.Add(args[i]);
        else if (i == 0 && Regex.IsMatch(args[i], @"^[^-\s][^\s]*:\d+$"))
            endpoint = args[i];
        else if (args[i] is "-o" or "--output")
            json = Value() switch { "json" => true, "table" => false, var other => throw new UsageException($"-o {other}: use table or json") };
        else if (args[i] == "--token-file")
            token = File.ReadAllText(Value()).Trim();
        else if (args[i] == "--token")
            token = Value();
        else if (args[i] == "--pod")
            pod = Value();
        else if (args[i] is "--namespace" or "-n")
            podNamespace = Value();
        else
            words.Add(args[i]);
    }
}
catch (Exception e) when (e is UsageException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.Write(Dispatcher.Help());
    return Dispatcher.Misused;
}

PortForward? forward = null;
if (pod != null)
{
    try
    {
        forward = await PortForward.Start(pod, podNamespace);
        endpoint = forward.Endpoint;
    }
    catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or OperationCanceledException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return Dispatcher.Failed;
    }
}

using (forward)
using (var client = new ManagementClient(endpoint, token))
{
    // Ctrl+C ends the running command (cluster tail), not canal-cmd's prompt.
    var running = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        running.Cancel();
    };
    if (words.Count > 0)
        return await Dispatcher.Execute(client, words, json, Console.Out, Console.Error, running.Token);

    Console.WriteLine($"canal-cmd {Dispatcher.ClientVersion} → {endpoint}; 'help' lists the commands, Tab completes, 'exit' leaves");
    var editor = new LineEditor(Dispatcher.Complete);
    while (editor.Read("canal> ") is { } line)
    {
        var typed = Words.Split(line);
        if (typed is ["exit"] or ["quit"])
            break;
        running = new CancellationTokenSource();
        await Dispatcher.Execute(client, typed, json, Console.Out, Console.Error, running.Token);
    }
    return Dispatcher.Ok;
}
