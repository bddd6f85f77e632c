using System.Text.RegularExpressions;
using Canal.Cmd;

// canal-cmd [host:port] <palette> <command> [arguments] [options]: one command, or a prompt without one.
// Options go anywhere; the endpoint may also be the first word, as Petabridge.Cmd takes it.
var words = args.ToList();
string? leadingEndpoint = null;
if (words.Count > 0 && Regex.IsMatch(words[0], @"^[^-\s\[][^\s]*:\d+$"))
{
    leadingEndpoint = words[0];
    words.RemoveAt(0);
}

using var connection = new Connection(leadingEndpoint);
var cmd = new CanalCmd(connection);
var prompt = new Prompt(cmd, connection);
cmd.Root.SetAction(prompt.Run);

// Ctrl+C ends the running command (cluster tail), not canal-cmd's prompt.
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    prompt.CancelRunning();
};
return await cmd.Run(cmd.Root.Parse(words), Console.Out, Console.Error, prompt.Running);
