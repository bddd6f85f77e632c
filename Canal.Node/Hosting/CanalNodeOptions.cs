using Canal.Dns;
using Canal.Istio;
using Canal.Node.Probing;
using Canal.Propagation;

namespace Canal.Node.Hosting;

/// <summary>
/// Settings of a Canal node, bound from the "Canal" configuration section: appsettings.json, then
/// environment variables (<c>Canal__Mode=hosts</c>), then command-line flags.
/// </summary>
internal sealed class CanalNodeOptions
{
    /// <summary>Local mode: the manifest directory. Without it Canal watches the Kubernetes API.</summary>
    public string Manifests { get; set; } = "";
    public string Corefile { get; set; } = "";

    /// <summary>Kubernetes mode: a kubeconfig (default: the pod's service account in a cluster, else ~/.kube/config).</summary>
    public string? Kubeconfig { get; set; }
    public string? Context { get; set; }

    /// <summary>Namespaces whose VirtualServices are watched; none means all.</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>Namespaces of canal Gateways and their Services' endpoints; none means istio-system, "*" means all.</summary>
    public List<string> GatewayNamespaces { get; set; } = [];

    public string CoreDnsNamespace { get; set; } = "kube-system";
    public string CoreDnsConfigMap { get; set; } = "coredns";
    public TimeSpan ReadinessGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Local mode: CoreDNS servers (HOST:PORT) each write is confirmed in; none: writes are not confirmed.</summary>
    public List<string> DnsProbe { get; set; } = [];

    /// <summary>Kubernetes mode: the Service (namespace/name) whose endpoints are the CoreDNS replicas each write is confirmed in; empty: not confirmed.</summary>
    public string DnsService { get; set; } = "kube-system/kube-dns";

    /// <summary>
    /// Kubernetes mode: after each write, annotate the CoreDNS pods behind <see cref="DnsService"/> so kubelet refreshes
    /// their ConfigMap volume at once instead of at its next sync (an annotation only; the pods are not restarted).
    /// </summary>
    public bool NudgeCorednsPods { get; set; }

    /// <summary>How long a write may take to be live on every CoreDNS replica before Canal says it is not.</summary>
    public TimeSpan PropagationDeadline { get; set; } = TimeSpan.FromMinutes(3);
    public TimeSpan Resync { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Where the embedded SQLite journal lives (ignored when <see cref="Postgres"/> is set).</summary>
    public string Data { get; set; } = ".canal";

    /// <summary>A PostgreSQL connection string: the journal shared by several replicas.</summary>
    public string? Postgres { get; set; }

    public DnsMode Mode { get; set; } = DnsMode.Auto;
    public string ClusterDomain { get; set; } = "cluster.local";
    public string GatewaySelector { get; set; } = "app=canal-gateway";

    /// <summary>Gateway API: the classes whose Gateways are canal gateways; none means <c>canal</c>.</summary>
    public List<string> GatewayClasses { get; set; } = [];

    /// <summary>Kubernetes mode: post Events on VirtualServices (what happened to each host).</summary>
    public bool Events { get; set; } = true;

    /// <summary>The mesh's defaultVirtualServiceExportTo, comma-separated.</summary>
    public string DefaultExportTo { get; set; } = "*";

    /// <summary>Which names are redirected by the gateway's coverage of them: <c>any</c> or <c>full</c>.</summary>
    public string Coverage { get; set; } = "any";
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Akka remoting address; port 0 picks a free one (fine for a single node).</summary>
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; }

    /// <summary>The management API (canal-cmd, health probes): loopback unless a token is given.</summary>
    public string ManagementHost { get; set; } = "127.0.0.1";
    public int ManagementPort { get; set; } = 9110;
    public string? ManagementTokenFile { get; set; }

    /// <summary>In Kubernetes: find the other replicas through the pods API instead of configured seed nodes (Kubernetes/PodSeeds).</summary>
    public BootstrapOptions Bootstrap { get; set; } = new();

    /// <summary>Seed nodes (<c>akka.tcp://canal@host:port</c>); none means this node forms a cluster on its own.</summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>Local mode: a directory of manifests and a Corefile instead of the Kubernetes API.</summary>
    public bool Local => !string.IsNullOrWhiteSpace(Manifests);

    /// <summary>The planner's options (the cluster domain normalised); valid once <see cref="CanalNodeOptionsValidator"/> passed.</summary>
    public RedirectOptions Redirects() =>
        CanalOptions.Redirects(ClusterDomain, GatewaySelector, DefaultExportTo, GatewayClasses, Coverage, out var error) ?? throw new InvalidOperationException(error);

    /// <summary>The CoreDNS servers of <see cref="DnsProbe"/>; valid once <see cref="CanalNodeOptionsValidator"/> passed.</summary>
    public IReadOnlyList<CoreDnsReplica> DnsProbeReplicas() =>
        DnsClientReplicas.Fixed(DnsProbe, out var error) ?? throw new InvalidOperationException(error);

    /// <summary>The Service of <see cref="DnsService"/>; null when empty (writes not confirmed) or not NAMESPACE/NAME.</summary>
    public ObjectKey? DnsServiceKey() =>
        DnsService.Split('/') is [var ns, var name] && HostName.IsValidDomain(ns) && HostName.IsValidDomain(name) && !name.Contains('.')
            ? new ObjectKey(ns, name)
            : null;

    /// <summary>True when this node will share a cluster with others (and so needs a shared journal).</summary>
    public bool Clustered =>
        Bootstrap.Enabled || SeedNodes.Any(s => !s.EndsWith($"@{Host}:{Port}", StringComparison.Ordinal));
}

/// <summary>
/// Cluster bootstrap: pods labelled <see cref="LabelSelector"/> in the pod's namespace are found through the
/// Kubernetes API, their container port named remoting taken as seed nodes; a cluster forms once
/// <see cref="RequiredContactPoints"/> of them run.
/// </summary>
internal sealed class BootstrapOptions
{
    public bool Enabled { get; set; }
    public string LabelSelector { get; set; } = "app.kubernetes.io/name=canal-control";
    public int RequiredContactPoints { get; set; } = 2;

    /// <summary>The namespace of the pods; in a pod, the service account's namespace by default.</summary>
    public string? PodNamespace { get; set; }
}
