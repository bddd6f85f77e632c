using System.CommandLine;
using System.Reflection;

// canal-cmd grows its palettes (cluster, sharding, actor, canal) as the management API lands.
var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
var root = new RootCommand("canal-cmd: inspect a running Canal cluster and its actors (management API, default 127.0.0.1:9110).");
var versionCommand = new Command("version", "Print the canal-cmd version.");
versionCommand.SetAction(_ => Console.WriteLine(version));
root.Subcommands.Add(versionCommand);
return root.Parse(args).Invoke();
