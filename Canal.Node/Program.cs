using System.CommandLine;
using Canal.Node;

var root = new RootCommand("canal: points Istio VirtualService destinations at the canal gateway through CoreDNS.")
{
    RenderCommand.Create(),
    RunCommand.Create(),
};
var parsed = root.Parse(args);
// A usage error is unusable input: exit 2 with nothing on stdout. Left to System.CommandLine it exits 1, which
// means "rendered with errors" to a script, and prints the help text to stdout, where the Corefile goes.
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"error: {error.Message}");
    var command = parsed.CommandResult.Command is RootCommand ? "canal" : $"canal {parsed.CommandResult.Command.Name}";
    Console.Error.WriteLine($"Run '{command} --help' for usage.");
    return RenderCommand.UnusableInput;
}
return parsed.Invoke();
