using System.CommandLine;
using Canal.Node;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;

namespace Canal.Tests.KubernetesMode;

/// <summary>
/// <c>canal render --kubeconfig</c>: a dry run against a live cluster (the emulator), read as <c>canal run</c> reads it. It
/// prints what <c>canal render</c> prints for the same objects in files, says in one line why a cluster cannot be read, and
/// never writes, whatever happens.
/// </summary>
public sealed class RenderFromClusterTests : IDisposable
{
    private static readonly string[] Samples = ["helloworld", "gateway-api"];
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-render-cluster-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task A_cluster_renders_exactly_as_the_same_objects_in_files_and_nothing_is_written()
    {
        await using var cluster = await KubeCluster.Start();
        foreach (var sample in Samples)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Samples", sample), "*.yaml"))
                cluster.Api.Apply(File.ReadAllText(file));
        }
        // The same objects as the cluster holds them (with the ClusterIPs and timestamps the server gave them), one file each.
        var directory = Directory.CreateDirectory(Path.Combine(_temp.FullName, "manifests")).FullName;
        var kinds = new[] { ("v1", "Service", "services"), ($"{ResourceCatalog.IstioGroup}/v1", "VirtualService", "virtualservices"), ($"{ResourceCatalog.IstioGroup}/v1", "Gateway", "gateways"),
            ($"{ResourceCatalog.GatewayApiGroup}/v1", "Gateway", "gateways"), ($"{ResourceCatalog.GatewayApiGroup}/v1", "HTTPRoute", "httproutes") };
        var written = 0;
        foreach (var (apiVersion, kind, resource) in kinds)
        {
            var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
            foreach (var obj in cluster.Api.List(group, "v1", resource, null))
            {
                (obj["apiVersion"], obj["kind"]) = (apiVersion, kind);
                File.WriteAllText(Path.Combine(directory, $"object-{written++}.json"), obj.ToJsonString());
            }
        }
        Assert.Equal(7, written);
        var corefile = Path.Combine(_temp.FullName, "Corefile");
        File.WriteAllText(corefile, cluster.Corefile());

        var fromCluster = RenderInvocation.Invoke("render", "--kubeconfig", cluster.Kubeconfig);
        var fromFiles = RenderInvocation.Invoke("render", "--manifests", directory, "--corefile", corefile);

        Assert.Equal(0, fromCluster.Exit);
        Assert.Equal(fromFiles.Stdout, fromCluster.Stdout);
        Assert.Equal(Decisions(fromFiles.Stderr), Decisions(fromCluster.Stderr));
        Assert.Contains("coverage partial: only uri prefix /hello is routed; other requests get 404", fromCluster.Stderr);
        Assert.Contains("helloworld.default.svc.cluster.local", fromCluster.Stdout);
        NothingWritten(cluster.Api);
    }

    [Fact]
    public async Task With_coverage_full_the_partially_routed_walkthrough_name_stays_direct_and_says_why()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();

        var (exit, stdout, stderr) = RenderInvocation.Invoke("render", "--kubeconfig", cluster.Kubeconfig, "--coverage", "full");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("helloworld.default.svc.cluster.local", stdout);
        var blocked = Assert.Single(stderr.Split('\n'), l => l.StartsWith("blocked", StringComparison.Ordinal));
        Assert.Contains("partial: only uri prefix /hello is routed", blocked);
        Assert.Contains("--coverage full", blocked);
        NothingWritten(cluster.Api);
    }

    [Fact]
    public async Task A_refused_permission_is_one_line_naming_the_list_and_the_rbac_to_grant()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        cluster.Api.Faults.FailRequests(1.0, 403, verb: "list", resource: "virtualservices");

        var (exit, stdout, stderr) = RenderInvocation.Invoke("render", "--kubeconfig", cluster.Kubeconfig);

        Assert.Equal(RenderCommand.RenderedWithErrors, exit);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: listing virtualservices: refused (403 Forbidden)", line);
        Assert.Contains("k8s/base/rbac.yaml", line);
        NothingWritten(cluster.Api);
    }

    [Fact]
    public async Task Without_istio_crds_it_says_to_install_istio_and_without_the_gateway_api_it_notes_it_and_renders()
    {
        await using (var noIstio = await KubeCluster.Start(options: new KubeApiOptions { IstioVersions = [] }))
        {
            var (exit, stdout, stderr) = RenderInvocation.Invoke("render", "--kubeconfig", noIstio.Kubeconfig);
            Assert.Equal((RenderCommand.RenderedWithErrors, ""), (exit, stdout));
            Assert.Equal("error: the API server does not serve networking.istio.io: Istio's CRDs are not installed (install Istio, then render again)", stderr.Trim());
            NothingWritten(noIstio.Api);
        }

        await using var noGatewayApi = await KubeCluster.Start(options: new KubeApiOptions { GatewayApi = false });
        noGatewayApi.ApplySample();
        var rendered = RenderInvocation.Invoke("render", "--kubeconfig", noGatewayApi.Kubeconfig);
        Assert.Equal(0, rendered.Exit);
        Assert.Contains("helloworld.default.svc.cluster.local", rendered.Stdout);
        Assert.StartsWith("note: the API server does not serve Gateway", rendered.Stderr);
        NothingWritten(noGatewayApi.Api);
    }

    [Fact]
    public async Task An_unreachable_cluster_is_one_line_that_says_to_check_the_kubeconfig()
    {
        string kubeconfig;
        await using (var cluster = await KubeCluster.Start())
        {
            kubeconfig = Path.Combine(_temp.FullName, "kubeconfig");
            File.Copy(cluster.Kubeconfig, kubeconfig);
        }

        var (exit, stdout, stderr) = RenderInvocation.Invoke("render", "--kubeconfig", kubeconfig);

        Assert.Equal((RenderCommand.RenderedWithErrors, ""), (exit, stdout));
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: API discovery (/apis): cannot reach the API server", line);
        Assert.Contains("check --kubeconfig and --context", line);
    }

    [Fact]
    public void Neither_or_both_of_manifests_and_kubeconfig_is_a_usage_error()
    {
        var root = new RootCommand { RenderCommand.Create(new CanalOptions(), new KubernetesFlags()) };
        Assert.Contains(root.Parse(["render"]).Errors, e => e.Message.Contains("--kubeconfig FILE"));
        Assert.Contains(root.Parse(["render", "--manifests", ".", "--kubeconfig", "k"]).Errors, e => e.Message.Contains("either --manifests"));
        Assert.Contains(root.Parse(["render", "--manifests", "."]).Errors, e => e.Message.Contains("--manifests needs --corefile"));
    }

    /// <summary>The emulator saw only reads: discovery, lists and gets.</summary>
    private static void NothingWritten(KubeApiServer api) =>
        Assert.DoesNotContain(api.RequestLog, r => r.Verb is not ("list" or "get" or "watch"));

    private static List<string> Decisions(string stderr) => [.. stderr.Split('\n').Where(l => !l.StartsWith("note:", StringComparison.Ordinal))];
}
