using k8s;

namespace Canal.Node.Kubernetes;

/// <summary>How Canal reaches the API server: a kubeconfig when given, the pod's service account inside a cluster, else the default kubeconfig.</summary>
internal static class KubernetesConnection
{
    public static IKubernetes Create(string? kubeconfig, string? context)
    {
        var config = !string.IsNullOrWhiteSpace(kubeconfig)
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, context)
            : KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: context);
        return new k8s.Kubernetes(config);
    }
}
