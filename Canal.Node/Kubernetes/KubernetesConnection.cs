using k8s;

namespace Canal.Node.Kubernetes;

/// <summary>How Canal reaches the API server: a kubeconfig when given, the pod's service account inside a cluster, else the default kubeconfig.</summary>
internal static class KubernetesConnection
{
    /// <param name="refusals">Reports every 401 and 403 the client gets, when given.</param>
    public static IKubernetes Create(string? kubeconfig, string? context, ApiRefusals? refusals = null)
    {
        var config = !string.IsNullOrWhiteSpace(kubeconfig)
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, context)
            : KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: context);
        return refusals == null ? new k8s.Kubernetes(config) : new k8s.Kubernetes(config, refusals);
    }
}
