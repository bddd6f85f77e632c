using System.CommandLine;
using Canal.Node.Kubernetes;

namespace Canal.Node;

/// <summary>How the commands that talk to a cluster (<c>run</c>, <c>render</c>, <c>dns</c>) find it, what they read and CoreDNS's ConfigMap: declared once, shared.</summary>
internal sealed class KubernetesFlags
{
    public Option<string> Kubeconfig { get; } = new("--kubeconfig") { Description = "Kubernetes mode: kubeconfig to use (default: in-cluster service account, else ~/.kube/config)." };

    public Option<string> Context { get; } = new("--context") { Description = "Kubernetes mode: kubeconfig context (default: the current one)." };

    public Option<string[]> Namespace { get; } = new("--namespace")
    {
        Description = "Kubernetes mode: read VirtualServices and routes only in this namespace (repeatable; default all).",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> GatewayNamespace { get; } = new("--gateway-namespace")
    {
        Description = "Kubernetes mode: namespace of canal Gateways (repeatable; default istio-system; * for all).",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> CoreDnsNamespace { get; } = new("--coredns-namespace")
    {
        Description = "Kubernetes mode: namespace of CoreDNS's ConfigMap.",
        DefaultValueFactory = _ => new KubernetesSettings().CoreDnsNamespace,
    };

    public Option<string> CoreDnsConfigMap { get; } = new("--coredns-configmap")
    {
        Description = "Kubernetes mode: name of CoreDNS's ConfigMap.",
        DefaultValueFactory = _ => new KubernetesSettings().CoreDnsConfigMap,
    };
}
