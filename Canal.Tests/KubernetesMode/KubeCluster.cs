using System.Diagnostics;
using System.Text.Json.Nodes;
using Canal.Dns;
using Canal.Istio;
using Canal.Node.Local;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;

namespace Canal.Tests.KubernetesMode;

/// <summary>
/// An emulated cluster for one test: the Kubernetes API emulator with CoreDNS's ConfigMap, a kubeconfig, the
/// real kubectl, and the real <c>canal run</c> processes started against it.
/// </summary>
internal sealed class KubeCluster : IAsyncDisposable
{
    public static readonly string Kubeadm = DefaultCorefile.For("cluster.local");
    private readonly List<CanalProcess> _processes = [];

    private KubeCluster(KubeApiServer api, DirectoryInfo temp)
    {
        Api = api;
        Temp = temp;
        Kubeconfig = Path.Combine(temp.FullName, "kubeconfig");
        api.WriteKubeconfig(Kubeconfig);
    }

    public KubeApiServer Api { get; }
    public DirectoryInfo Temp { get; }
    public string Kubeconfig { get; }

    public static async Task<KubeCluster> Start(string corefile = "", KubeApiOptions? options = null)
    {
        var api = await KubeApiServer.StartAsync(options);
        var cluster = new KubeCluster(api, Directory.CreateTempSubdirectory("canal-kube-"));
        api.Apply(ConfigMap("coredns", new JsonObject { ["Corefile"] = corefile.Length > 0 ? corefile : Kubeadm }));
        return cluster;
    }

    public static JsonObject ConfigMap(string name, JsonObject data) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "kube-system" },
        ["data"] = data,
    };

    public CanalProcess StartCanal(params string[] extra) => StartCanal(new Dictionary<string, string>(), extra);

    public CanalProcess StartCanal(IReadOnlyDictionary<string, string> environment, params string[] extra)
    {
        var canal = CanalProcess.Start(Temp.FullName, environment, ["run", "--kubeconfig", Kubeconfig, "--data", Path.Combine(Temp.FullName, "data"), .. extra]);
        _processes.Add(canal);
        return canal;
    }

    public string Corefile() => Api.Corefile();

    public IReadOnlyList<string> CorefileRevisions() =>
        [.. Api.Revisions("", "configmaps", "kube-system", "coredns").Select(r => (string?)JsonNode.Parse(r)?["data"]?["Corefile"] ?? "")];

    /// <summary>Waits until the Corefile holds a redirect for each of <paramref name="present"/> and none for <paramref name="absent"/>.</summary>
    public Task Redirects(string[] present, string[]? absent = null, TimeSpan? timeout = null) =>
        Eventually.True(() =>
        {
            var hosts = CorefileUpdate.RedirectedHosts(Corefile());
            return present.All(hosts.Contains) && !(absent ?? []).Any(hosts.Contains);
        }, () => $"redirects for [{string.Join(", ", present)}] and none for [{string.Join(", ", absent ?? [])}]; the Corefile is:\n{Corefile()}\ncanal said:\n{string.Join("\n", _processes.Select(p => p.Output))}", timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>The helloworld walkthrough's manifests, applied directly, and a ready endpoint behind the gateway's Service.</summary>
    public void ApplySample()
    {
        foreach (var manifest in Samples.Manifests(Samples.Helloworld))
            Api.Apply(manifest);
        Api.Apply(EndpointSlice(ready: true));
    }

    /// <summary>The gateway Service's endpoints, as the EndpointSlice controller would publish them.</summary>
    public static string EndpointSlice(bool ready) => $$"""
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: canal-abcde
          namespace: istio-system
          labels: {kubernetes.io/service-name: canal}
        addressType: IPv4
        ports: [{name: http, port: 5000, protocol: TCP}]
        endpoints:
          - addresses: [10.1.0.5]
            conditions: {ready: {{(ready ? "true" : "false")}}}
        """;

    /// <summary>A VirtualService for <paramref name="hosts"/> whose one route shares its requests among them.</summary>
    public static string VirtualService(string ns, string name, params string[] hosts) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          hosts: [{{string.Join(", ", hosts)}}]
          gateways: [istio-system/canal]
          http:
            - route: [{{string.Join(", ", hosts.Select(h => $"{{destination: {{host: {h}}}, weight: 1}}"))}}]
        """;

    public static string Namespace(string name) => $"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n";

    /// <summary>Runs the real kubectl against the emulator, with a discovery cache of its own.</summary>
    public async Task<(int Exit, string Output)> Kubectl(params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(Temp.FullName, "kubectl-cache") }.Concat(args))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>What the Corefile must be for the given objects: Canal's render of them applied to the Corefile as it is now.</summary>
    public string RenderOf(IEnumerable<VirtualService> virtualServices, IEnumerable<Gateway> gateways, IEnumerable<ClusterService> services)
    {
        var plan = RedirectPlanner.Plan(virtualServices, gateways, services, new RedirectOptions());
        return CorefileUpdate.Apply(Corefile(), plan, DnsMode.Auto, "cluster.local").Text;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
            await process.DisposeAsync();
        await Api.DisposeAsync();
        Temp.Delete(recursive: true);
    }
}
