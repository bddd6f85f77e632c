using System.CommandLine;
using Canal.Dns;
using Canal.Istio;
using Canal.Reading;
using Canal.Node.Local;

namespace Canal.Node;

/// <summary>
/// <c>canal render</c>: the Corefile Canal would write for a directory of manifests, on stdout; one line per
/// host and per problem on stderr. Exit 0 when clean, 1 when some manifests were unusable (the rest is
/// rendered), 2 when nothing can be rendered.
/// </summary>
internal static class RenderCommand
{
    public const int Ok = 0;
    public const int RenderedWithErrors = 1;
    public const int UnusableInput = 2;

    public static Command Create(CanalOptions options)
    {
        var manifests = new Option<DirectoryInfo>("--manifests") { Description = "Directory of VirtualService, Gateway and Service manifests (YAML or JSON, searched recursively).", Required = true };
        var corefile = new Option<FileInfo>("--corefile") { Description = "The Corefile to render into (read only; the result goes to stdout).", Required = true };
        var command = new Command("render", "Print the Corefile Canal would produce for a directory of manifests (a dry run).")
        {
            manifests, corefile, options.Mode, options.ClusterDomain, options.GatewaySelector, options.GatewayClass, options.DefaultExportTo, options.Coverage,
        };
        command.SetAction(result =>
        {
            // The invocation's writers, not Console's: whoever invokes the command (a test, a host) gets all of its output.
            var (stdout, stderr) = (result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
            if (!options.TryRead(result, out var redirectOptions, out var mode, out var error))
            {
                stderr.WriteLine($"error: {error}");
                return UnusableInput;
            }
            return Run(result.GetValue(manifests)!.FullName, result.GetValue(corefile)!.FullName, mode, redirectOptions, stdout, stderr);
        });
        return command;
    }

    public static int Run(string manifestDirectory, string corefilePath, DnsMode mode, RedirectOptions options, TextWriter stdout, TextWriter stderr)
    {
        Manifests manifests;
        string corefile;
        try
        {
            manifests = ManifestDirectory.Read(manifestDirectory);
            corefile = File.ReadAllText(corefilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return UnusableInput;
        }

        foreach (var error in manifests.Errors)
            stderr.WriteLine($"error: {error}");

        var plannable = manifests.Plannable(options);
        foreach (var problem in plannable.Problems)
            stderr.WriteLine($"{problem.Kind} {problem.Object}: {problem.Reason} (at {problem.Path})");
        var plan = RedirectPlanner.Plan(plannable.VirtualServices, plannable.Gateways, manifests.Services, options);
        CorefileUpdate update;
        try
        {
            update = CorefileUpdate.Apply(corefile, plan, mode, options.ClusterDomain);
        }
        catch (CorefileException e)
        {
            stderr.WriteLine($"error: {corefilePath}: {e.Message}");
            return UnusableInput;
        }

        foreach (var decision in update.Plan.Decisions)
        {
            stderr.WriteLine(decision);
            if (decision.Coverage is { } coverage)
                stderr.WriteLine($"           coverage {coverage}".ReplaceLineEndings("\\n"));
        }
        foreach (var warning in update.Warnings)
            stderr.WriteLine($"warning: {warning}");
        var redirected = update.Plan.Decisions.Where(d => d.Status == HostStatus.Redirected).ToList();
        stderr.WriteLine($"mode {update.Mode.ToString().ToLowerInvariant()}: {update.Plan.Redirects.Count} redirected "
            + $"({redirected.Count(d => d.Coverage?.Kind == CoverageKind.Partial)} partial, {redirected.Count(d => d.Coverage?.Kind == CoverageKind.Shared)} shared), "
            + $"{update.Plan.Decisions.Count(d => d.Status == HostStatus.Skipped)} skipped, "
            + $"{update.Plan.Decisions.Count(d => d.Status == HostStatus.Blocked)} blocked");
        stdout.Write(update.Text);
        return manifests.Errors.Count > 0 ? RenderedWithErrors : Ok;
    }
}
