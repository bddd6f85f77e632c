using System.Net;
using Canal.Dns;
using Canal.Istio;

namespace Canal.Node.Hosting;

/// <summary>What makes <see cref="CanalNodeOptions"/> usable; each failure names the flag (or setting) to fix.</summary>
internal static class CanalNodeOptionsValidator
{
    /// <summary>The first thing that makes <paramref name="options"/> unusable; null when they are usable.</summary>
    public static string? Problem(CanalNodeOptions options)
    {
        var local = options.Local;
        if (local && !Directory.Exists(options.Manifests))
            return $"manifest directory {options.Manifests} does not exist";
        if (local && string.IsNullOrWhiteSpace(options.Corefile))
            return "--corefile is required with --manifests (the Corefile to keep up to date; created when missing)";
        if (!local && !string.IsNullOrWhiteSpace(options.Corefile))
            return "--corefile goes with --manifests (local mode); in Kubernetes mode Canal edits the CoreDNS ConfigMap";
        if (!Enum.IsDefined(options.Mode))
            return "--mode must be auto, rewrite, hosts or custom";
        if (local && options.Bootstrap.Enabled)
            return "cluster bootstrap (Canal__Bootstrap__Enabled) finds the replicas through the Kubernetes API: it needs Kubernetes mode (no --manifests); use --seed-node locally";
        if (local && options.Mode == DnsMode.Custom)
            return "--mode custom writes the coredns-custom ConfigMap, so it needs Kubernetes mode (no --manifests)";
        if (CanalOptions.Redirects(options.ClusterDomain, options.GatewaySelector, options.DefaultExportTo, options.GatewayClasses, options.Coverage, out var error) == null)
            return error;
        if (options.Clustered && string.IsNullOrWhiteSpace(options.Postgres))
            return "several replicas need a journal they share: give --postgres (or Canal__Postgres); SQLite is a file on one node, and two nodes writing their own would disagree";
        if (options.ManagementHost != "localhost" && !IPAddress.TryParse(options.ManagementHost, out _))
            return $"--management-host {HostName.Quote(options.ManagementHost)} is not an IP address (such as 127.0.0.1 or 0.0.0.0)";
        if (options.ManagementPort is < 0 or > 65535)
            return $"--management-port {options.ManagementPort} is not a port";
        if (!local && options.DnsProbe.Count > 0)
            return "--dns-probe goes with --manifests (local mode); in a cluster the CoreDNS replicas are the endpoints of --dns-service (default kube-system/kube-dns)";
        if (Probing.DnsClientReplicas.Fixed(options.DnsProbe, out var probeError) == null)
            return probeError;
        if (!local && options.DnsService.Length > 0 && options.DnsServiceKey() == null)
            return $"--dns-service {HostName.Quote(options.DnsService)} is not NAMESPACE/NAME of a Service (such as kube-system/kube-dns), or \"\" to not confirm writes";
        if (options.NudgeCorednsPods && (local || options.DnsServiceKey() == null))
            return local
                ? "--nudge-coredns-pods goes with a cluster (--kubeconfig or in-cluster): local mode has no CoreDNS pods to annotate"
                : "--nudge-coredns-pods needs --dns-service: the CoreDNS pods it annotates are that Service's endpoints";
        if (options.PropagationDeadline <= TimeSpan.Zero)
            return "--propagation-deadline-s must be more than 0";
        if (options.Debounce < TimeSpan.Zero || options.MaxDelay < options.Debounce)
            return "--debounce-ms must be at least 0 and --max-delay-ms at least the debounce";
        return null;
    }
}
