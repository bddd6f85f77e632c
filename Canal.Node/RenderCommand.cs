using System.CommandLine;
using Canal.Dns;
using Canal.Istio;
using Canal.Reading;
using Canal.Node.Kubernetes;
using Canal.Node.Local;
using Microsoft.Extensions.Logging.Abstractions;

namespace Canal.Node;

/// <summary>
/// <c>canal render</c>: the Corefile Canal would write, on stdout, for a directory of manifests or (with <c>--kubeconfig</c>)
/// for what a live cluster holds, read as <c>canal run</c> reads it and never written to; one line per host, its coverage and
/// each problem on stderr. Exit 0 when clean, 1 when some objects were unusable (the rest is rendered) or the cluster could
/// not be read (one line says why), 2 when nothing can be rendered.
/// </summary>
internal static class RenderCommand
{
    public const int Ok = 0;
    public const int RenderedWithErrors = 1;
    public const int UnusableInput = 2;

    public static Command Create(CanalOptions options, KubernetesFlags kubernetes)
    {
        var manifests = new Option<DirectoryInfo>("--manifests") { Description = "Directory of VirtualService, Gateway and Service manifests (YAML or JSON, searched recursively)." };
        var corefile = new Option<FileInfo>("--corefile") { Description = "The Corefile to render into (read only; the result goes to stdout); with --kubeconfig, default: the cluster's, from CoreDNS's ConfigMap." };
        var command = new Command("render", "Print the Corefile Canal would produce, for a directory of manifests or a live cluster (--kubeconfig, read only): a dry run.")
        {
            manifests, corefile, kubernetes.Kubeconfig, kubernetes.Context, kubernetes.Namespace, kubernetes.GatewayNamespace, kubernetes.CoreDnsNamespace, kubernetes.CoreDnsConfigMap,
            options.Mode, options.ClusterDomain, options.GatewaySelector, options.GatewayClass, options.DefaultExportTo, options.Coverage,
        };
        command.Validators.Add(result =>
        {
            var (fromFiles, fromCluster) = (result.GetResult(manifests) != null, result.GetResult(kubernetes.Kubeconfig) != null);
            if (fromFiles == fromCluster)
                result.AddError("give either --manifests DIR with --corefile FILE, or --kubeconfig FILE to read a live cluster");
            else if (fromFiles && result.GetResult(corefile) == null)
                result.AddError("--manifests needs --corefile: the Corefile to render into");
        });
        command.SetAction(async (result, cancellationToken) =>
        {
            // The invocation's writers, not Console's: whoever invokes the command (a test, a host) gets all of its output.
            var (stdout, stderr) = (result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
            if (!options.TryRead(result, out var redirectOptions, out var mode, out var error))
            {
                stderr.WriteLine($"error: {error}");
                return UnusableInput;
            }
            if (result.GetValue(manifests) is { } directory)
                return Run(directory.FullName, result.GetValue(corefile)!.FullName, mode, redirectOptions, stdout, stderr);
            var settings = new KubernetesSettings
            {
                Namespaces = result.GetValue(kubernetes.Namespace) ?? [],
                GatewayNamespaces = KubernetesSettings.GatewayScope(result.GetValue(kubernetes.GatewayNamespace) ?? []),
                CoreDnsNamespace = result.GetValue(kubernetes.CoreDnsNamespace)!,
                CoreDnsConfigMap = result.GetValue(kubernetes.CoreDnsConfigMap)!,
            };
            return await RunAgainstCluster(result.GetValue(kubernetes.Kubeconfig)!, result.GetValue(kubernetes.Context), settings, result.GetValue(corefile)?.FullName,
                mode, redirectOptions, stdout, stderr, cancellationToken);
        });
        return command;
    }

    /// <summary>Renders what the cluster holds into its own Corefile (or <paramref name="corefilePath"/>), reading only.</summary>
    public static async Task<int> RunAgainstCluster(string kubeconfig, string? context, KubernetesSettings settings, string? corefilePath, DnsMode mode, RedirectOptions options,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        Manifests manifests;
        string corefile, corefileName;
        try
        {
            var client = KubernetesConnection.Create(kubeconfig, context);
            (manifests, var notes) = await ClusterListing.ReadAsync(client, settings, cancellationToken);
            foreach (var note in notes)
                stderr.WriteLine($"note: {note}");
            if (corefilePath != null)
                (corefile, corefileName) = (File.ReadAllText(corefilePath), corefilePath);
            else
            {
                var store = ConfigMapStore.For(client, settings, mode, NullLogger.Instance);
                (corefile, corefileName) = ((await ClusterListing.Call($"reading ConfigMap {store.Description}", store.ReadAsync, cancellationToken)).Content, store.Description);
            }
        }
        catch (Exception e) when (e is ClusterUnreadableException or InvalidOperationException or k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return RenderedWithErrors;
        }
        return Render(manifests, corefile, corefileName, mode, options, stdout, stderr);
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
        return Render(manifests, corefile, corefilePath, mode, options, stdout, stderr);
    }

    private static int Render(Manifests manifests, string corefile, string corefilePath, DnsMode mode, RedirectOptions options, TextWriter stdout, TextWriter stderr)
    {
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
