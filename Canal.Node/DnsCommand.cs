using System.CommandLine;
using System.Net;
using Canal.Dns;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Node.Kubernetes;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging.Abstractions;

namespace Canal.Node;

/// <summary>
/// <c>canal dns purge</c> removes Canal's section from the CoreDNS Corefile and its key from coredns-custom
/// (uninstall; stop the controller first or it puts them back); <c>canal dns restore</c> puts the Corefile
/// saved before Canal's first change back. Both retry when someone else writes at the same time.
/// </summary>
internal static class DnsCommand
{
    public static Command Create(CanalOptions planning, KubernetesFlags kubernetes)
    {
        var name = kubernetes.CoreDnsConfigMap;
        var purge = new Command("purge", "Remove Canal's section from the Corefile and Canal's key from coredns-custom.")
        {
            kubernetes.Kubeconfig, kubernetes.Context, kubernetes.CoreDnsNamespace, name, planning.ClusterDomain,
        };
        purge.SetAction((result, ct) => Run(result, kubernetes, (client, s) => Purge(client, s, result.GetValue(name)!, result.GetValue(planning.ClusterDomain)!, ct)));
        var restore = new Command("restore", "Put back the Corefile as it was before Canal's first change (from canal-coredns-backup).")
        {
            kubernetes.Kubeconfig, kubernetes.Context, kubernetes.CoreDnsNamespace, name,
        };
        restore.SetAction((result, ct) => Run(result, kubernetes, (client, s) => Restore(client, s, result.GetValue(name)!, ct)));
        return new Command("dns", "Maintain CoreDNS's configuration in a cluster.") { purge, restore };
    }

    private static async Task<int> Run(ParseResult result, KubernetesFlags kubernetes, Func<IKubernetes, KubernetesSettings, Task<string>> action)
    {
        try
        {
            var client = KubernetesConnection.Create(result.GetValue(kubernetes.Kubeconfig), result.GetValue(kubernetes.Context));
            var message = await action(client, new KubernetesSettings { CoreDnsNamespace = result.GetValue(kubernetes.CoreDnsNamespace)! });
            Console.WriteLine(message);
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpOperationException or HttpRequestException or k8s.Exceptions.KubeConfigException or CorefileException)
        {
            Console.Error.WriteLine($"error: {(e is HttpOperationException h ? $"{(int)h.Response.StatusCode} {h.Response.Content}" : e.Message)}");
            return RenderCommand.UnusableInput;
        }
    }

    private static async Task<string> Purge(IKubernetes client, KubernetesSettings settings, string name, string clusterDomain, CancellationToken cancellationToken)
    {
        var corefile = new ConfigMapStore(client, settings.CoreDnsNamespace, name, settings.CorefileKey, ownsKey: false, backupName: null, NullLogger.Instance);
        var custom = new ConfigMapStore(client, settings.CoreDnsNamespace, settings.CustomConfigMap, settings.CustomKey, ownsKey: true, backupName: null, NullLogger.Instance);
        var main = await corefile.RewriteAsync(text => CorefileUpdate.Apply(text, new RedirectPlan([], []), DnsMode.Rewrite, clusterDomain).Text, cancellationToken);
        var imported = await custom.RewriteAsync(_ => "", cancellationToken);
        return $"{settings.CoreDnsNamespace}/{name}: {(main ? "Canal's section removed" : "no Canal section")}; "
            + $"{settings.CoreDnsNamespace}/{settings.CustomConfigMap}: {(imported ? $"{settings.CustomKey} removed" : $"no {settings.CustomKey}")}";
    }

    private static async Task<string> Restore(IKubernetes client, KubernetesSettings settings, string name, CancellationToken cancellationToken)
    {
        var store = new ConfigMapStore(client, settings.CoreDnsNamespace, name, settings.CorefileKey, ownsKey: false, settings.BackupConfigMap, NullLogger.Instance);
        var (restored, message) = await store.RestoreBackupAsync(cancellationToken);
        return restored ? message : throw new InvalidOperationException(message);
    }
}
