using Akka.Actor;
using Akka.Cluster;
using Canal.Node.Hosting;
using k8s;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// Forming the cluster in Kubernetes: the running pods <see cref="BootstrapOptions.LabelSelector"/> picks in the
/// controller's namespace are listed through the API, and once <see cref="BootstrapOptions.RequiredContactPoints"/>
/// of them run, this node joins the seed list of all their remoting addresses (pod IP, container port named
/// <c>remoting</c>), sorted, as every other node does. Akka's seed protocol then makes one cluster: the first seed
/// forms it only when no other seed answers, and a node that comes later, or back, joins the one that exists.
/// </summary>
/// <remarks>
/// Not Akka.Management's cluster bootstrap: as served here its HTTP server (Ceen.Httpd 0.9.10, built against 0.9.9)
/// and Akka.Discovery.KubernetesApi (built against an older KubernetesClient) both fail with MissingMethodException.
/// </remarks>
internal static class PodSeeds
{
    public const string PortName = "remoting";
    private const string NamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    public static void Join(ActorSystem system, BootstrapOptions options, IKubernetes client, ILogger logger)
    {
        var cluster = Cluster.Get(system);
        var ns = options.PodNamespace ?? (File.Exists(NamespaceFile) ? File.ReadAllText(NamespaceFile).Trim() : "default");
        _ = Task.Run(async () =>
        {
            var said = -1;
            while (!system.WhenTerminated.IsCompleted)
            {
                try
                {
                    var seeds = await Seeds(client, ns, options.LabelSelector, cluster.SelfAddress);
                    if (seeds.Count >= options.RequiredContactPoints && seeds.Contains(cluster.SelfAddress))
                    {
                        logger.LogInformation("joining the cluster through the {Count} running pods labelled {Selector} in {Namespace}: {Seeds}",
                            seeds.Count, options.LabelSelector, ns, string.Join(", ", seeds));
                        cluster.JoinSeedNodes(seeds);
                        return;
                    }
                    if (seeds.Count != said)
                        logger.LogInformation("{Count} of the {Required} pods needed to form the cluster run (labelled {Selector} in {Namespace}, port {Port}; this node is {Self}); waiting",
                            seeds.Count, options.RequiredContactPoints, options.LabelSelector, ns, PortName, cluster.SelfAddress);
                    said = seeds.Count;
                }
                catch (Exception e) when (!system.WhenTerminated.IsCompleted)
                {
                    if (!ApiRefusals.IsRefusal(e))
                        logger.LogWarning("listing the pods labelled {Selector} in {Namespace} failed ({Error}); retrying", options.LabelSelector, ns, e.Message);
                }
                await Task.Delay(Retry);
            }
        });
    }

    /// <summary>The remoting addresses of the running pods, sorted, so that every node computes the same list.</summary>
    private static async Task<List<Address>> Seeds(IKubernetes client, string ns, string selector, Address self)
    {
        var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector);
        return [.. pods.Items
            .Where(p => p.Metadata.DeletionTimestamp == null && p.Status?.Phase == "Running" && !string.IsNullOrEmpty(p.Status.PodIP))
            .SelectMany(p => (p.Spec?.Containers ?? []).SelectMany(c => c.Ports ?? []).Where(port => port.Name == PortName)
                .Select(port => new Address(self.Protocol, self.System, p.Status.PodIP, port.ContainerPort)))
            .Distinct()
            .OrderBy(a => a.ToString(), StringComparer.Ordinal)];
    }
}
