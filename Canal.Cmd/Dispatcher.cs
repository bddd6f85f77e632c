using System.Reflection;

namespace Canal.Cmd;

/// <summary>Runs one command line (from the shell or the prompt) and says how it went: 0 ok, 1 failed, 2 misused.</summary>
internal static class Dispatcher
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Misused = 2;

    public static string ClientVersion { get; } =
        typeof(Dispatcher).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static async Task<int> Execute(ManagementClient client, IReadOnlyList<string> words, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (words.Count == 0)
            return Ok;
        try
        {
            switch (words[0])
            {
                case "help" or "--help" or "-h":
                    output.Write(Help());
                    return Ok;
                case "version":
                    var server = await client.Get("api/version", cancellationToken);
                    output.WriteLine($"canal-cmd {ClientVersion}\ncanal {(string?)server?["version"]} at {client.Endpoint}");
                    return Ok;
            }
            var (spec, args) = Find(words);
            await spec.Run(new CommandContext(client, args, json, output, cancellationToken));
            return Ok;
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.Write(Help(words[0]));
            return Misused;
        }
        catch (ManagementException e)
        {
            error.WriteLine($"error: {e.StatusCode}: {e.Message}");
            return Failed;
        }
        catch (HttpRequestException e)
        {
            error.WriteLine($"error: cannot reach canal at {client.Endpoint} ({e.Message}); is `canal run` up, and is this its --management-port?");
            return Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Ok;
        }
    }

    /// <summary>Candidates for the word being typed, given the words before it (tab completion).</summary>
    public static IEnumerable<string> Complete(IReadOnlyList<string> before, string prefix)
    {
        IEnumerable<string> candidates = before.Count == 0
            ? Commands.All.Select(c => c.Palette).Append("help").Append("version").Append("exit")
            : Commands.All.Where(c => c.Palette == before[0])
                .Select(c => c.Name.Split(' '))
                .Where(n => n.Length > before.Count - 1 && n.Take(before.Count - 1).SequenceEqual(before.Skip(1)))
                .Select(n => n[before.Count - 1]);
        return candidates.Distinct().Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);
    }

    public static string Help(string? palette = null)
    {
        var specs = Commands.All.Where(c => palette == null || c.Palette == palette).ToList();
        if (specs.Count == 0)
            specs = [.. Commands.All];
        var width = specs.Max(s => s.Usage.Length);
        return "usage: canal-cmd [host:port] [-o table|json] [--token-file FILE] [--pod POD --namespace NS] <palette> <command> [args]\n"
            + "       canal-cmd [host:port]          (interactive prompt; default 127.0.0.1:9110)\n"
            + string.Concat(specs.Select(s => $"  {s.Usage.PadRight(width)}  {s.Description}\n"))
            + "  version  help\n";
    }

    private static (CommandSpec Spec, IReadOnlyList<string> Args) Find(IReadOnlyList<string> words)
    {
        var palette = Commands.All.Where(c => c.Palette == words[0]).ToList();
        if (palette.Count == 0)
            throw new UsageException($"unknown palette {words[0]}; the palettes are {string.Join(", ", Commands.All.Select(c => c.Palette).Distinct())}");
        var spec = palette
            .Where(c => c.Name.Split(' ') is var name && words.Count > name.Length && words.Skip(1).Take(name.Length).SequenceEqual(name))
            .MaxBy(c => c.Name.Length)
            ?? throw new UsageException(words.Count > 1 ? $"unknown command {words[0]} {string.Join(' ', words.Skip(1))}" : $"{words[0]} needs a command");
        return (spec, [.. words.Skip(1 + spec.Name.Split(' ').Length)]);
    }
}
