using System.CommandLine;
using Canal.Node;

// Options several commands take are declared once and shared.
var (planning, kubernetes) = (new CanalOptions(), new KubernetesFlags());
var root = new RootCommand("canal: points Istio VirtualService destinations at the canal gateway through CoreDNS.")
{
    RenderCommand.Create(planning, kubernetes),
    RunCommand.Create(planning, kubernetes),
    DnsCommand.Create(planning, kubernetes),
};
var parsed = root.Parse(args);
// A usage error is unusable input: exit 2 with nothing on stdout. Left to System.CommandLine it exits 1, which
// means "rendered with errors" to a script, and prints the help text to stdout, where the Corefile goes.
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"error: {error.Message}");
    var names = new List<string> { "--help" };
    for (var result = parsed.CommandResult; result.Command is not RootCommand; result = (System.CommandLine.Parsing.CommandResult)result.Parent!)
        names.Insert(0, result.Command.Name);
    Console.Error.WriteLine($"Run 'canal {string.Join(' ', names)}' for usage.");
    return RenderCommand.UnusableInput;
}
return parsed.Invoke();
