using System.Diagnostics;
using Canal.Dns;
using Canal.Istio;
using Canal.Node;
using Canal.Tests.Support;

namespace Canal.Tests;

public sealed class RenderCommandTests : IDisposable
{
    private const string HelloworldRewrite = "rewrite name exact helloworld.default.svc.cluster.local canal.istio-system.svc.cluster.local";
    private static readonly string Sample = Samples.Helloworld;

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-render-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public void The_Gateway_API_sample_redirects_helloworld_to_the_Service_of_the_canal_gateways_deployment()
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "Samples", "gateway-api");
        var (exit, stdout, stderr) = Run(sample, Path.Combine(sample, "Corefile"));

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.Equal(["rewrite name exact helloworld.default.svc.cluster.local mesh-canal.istio-system.svc.cluster.local"],
            Lines(stdout).Where(l => l.Contains("rewrite") || l.Contains("hosts")).Select(l => l.Trim()));
        Assert.Contains("default/HTTPRoute:helloworld", Assert.Single(Lines(stderr), l => l.StartsWith("redirected")));
    }

    [Fact]
    public void A_route_not_attached_to_a_canal_gateway_says_why_and_redirects_nothing()
    {
        var manifests = Directory.CreateDirectory(Path.Combine(_temp.FullName, "gateway-api")).FullName;
        var sample = Path.Combine(AppContext.BaseDirectory, "Samples", "gateway-api");
        File.Copy(Path.Combine(sample, "canal-gateway.yaml"), Path.Combine(manifests, "canal-gateway.yaml"));
        File.WriteAllText(Path.Combine(manifests, "helloworld.yaml"),
            File.ReadAllText(Path.Combine(sample, "helloworld.yaml")).Replace("    - name: mesh\n      namespace: istio-system", "    - name: mesh\n      namespace: istio-system\n      sectionName: https"));

        var (exit, stdout, stderr) = Run(manifests, Path.Combine(sample, "Corefile"));

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.DoesNotContain(Lines(stdout), l => l.Contains("rewrite name"));
        Assert.Contains("HTTPRoute default/helloworld: not attached to gateway istio-system/mesh (NoMatchingParent) (at spec.parentRefs[0])", stderr);
    }

    [Fact]
    public void The_helloworld_sample_redirects_exactly_helloworld()
    {
        var (exit, stdout, stderr) = Run(Sample, Path.Combine(Sample, "Corefile"));

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.Equal([HelloworldRewrite], Lines(stdout).Where(l => l.Contains("rewrite") || l.Contains("hosts")));
        var redirected = Assert.Single(Lines(stderr), l => l.StartsWith("redirected"));
        Assert.Contains("helloworld.default.svc.cluster.local", redirected);
        // The walkthrough's route takes only /hello: every other path of helloworld would get a 404 from the gateway.
        Assert.Contains("coverage partial: only uri prefix /hello is routed; other requests get 404", Lines(stderr));
        Assert.Contains("mode rewrite: 1 redirected (1 partial, 0 shared), 0 skipped, 0 blocked", stderr);
    }

    [Fact]
    public void Every_line_outside_canal_section_is_kept()
    {
        var original = File.ReadAllText(Path.Combine(Sample, "Corefile"));
        var (_, stdout, _) = Run(Sample, Path.Combine(Sample, "Corefile"));

        var lines = stdout.Split('\n').ToList();
        var begin = lines.FindIndex(l => l.Trim().StartsWith("# canal:begin"));
        var end = lines.FindIndex(l => l.Trim() == "# canal:end");
        Assert.True(begin >= 0 && end == begin + 2, stdout);
        lines.RemoveRange(begin, end - begin + 1);
        Assert.Equal(original, string.Join('\n', lines));
    }

    [Theory]
    [InlineData(DnsMode.Auto, null)]
    [InlineData(DnsMode.Rewrite, null)]
    [InlineData(DnsMode.Hosts, "10.96.0.50")]
    [InlineData(DnsMode.Auto, "10.96.0.50")]
    public void Rendering_its_own_output_again_changes_nothing(DnsMode mode, string? gatewayClusterIP)
    {
        var manifests = CopySample(gatewayClusterIP);
        var first = Run(manifests, Path.Combine(Sample, "Corefile"), mode);
        Assert.Equal(RenderCommand.Ok, first.Exit);

        var rendered = Path.Combine(_temp.FullName, "Corefile.rendered");
        File.WriteAllText(rendered, first.Stdout);
        var second = Run(manifests, rendered, mode);

        Assert.Equal(RenderCommand.Ok, second.Exit);
        Assert.Equal(first.Stdout, second.Stdout);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("10.96.0.50")]
    public void When_the_last_virtual_service_goes_the_corefile_is_restored_byte_for_byte(string? gatewayClusterIP)
    {
        var original = File.ReadAllText(Path.Combine(Sample, "Corefile"));
        var manifests = CopySample(gatewayClusterIP);
        var rendered = Path.Combine(_temp.FullName, "Corefile.rendered");
        File.WriteAllText(rendered, Run(manifests, Path.Combine(Sample, "Corefile")).Stdout);

        File.Delete(Path.Combine(manifests, "helloworld.yaml"));
        var (exit, stdout, stderr) = Run(manifests, rendered);

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.Equal(original, stdout);
        Assert.Contains("0 redirected", stderr);
    }

    [Fact]
    public void Auto_mode_writes_a_hosts_block_when_the_gateway_service_has_a_cluster_ip()
    {
        var (exit, stdout, stderr) = Run(CopySample("10.96.0.50"), Path.Combine(Sample, "Corefile"));

        Assert.Equal(RenderCommand.Ok, exit);
        var lines = Lines(stdout);
        Assert.Contains("hosts {", lines);
        Assert.Contains("10.96.0.50 helloworld.default.svc.cluster.local", lines);
        Assert.Contains("fallthrough", lines);
        Assert.Contains("no_reverse", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("rewrite"));
        Assert.Contains("mode hosts: 1 redirected", stderr);
    }

    [Fact]
    public void Hosts_mode_without_the_gateway_cluster_ip_blocks_the_host_and_says_why()
    {
        var (exit, stdout, stderr) = Run(Sample, Path.Combine(Sample, "Corefile"), DnsMode.Hosts);

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.DoesNotContain("canal:begin", stdout);
        var blocked = Assert.Single(Lines(stderr), l => l.StartsWith("blocked"));
        Assert.Contains("helloworld.default.svc.cluster.local", blocked);
        Assert.Contains("ClusterIP", blocked);
    }

    [Fact]
    public void Hosts_mode_on_a_cluster_block_with_its_own_hosts_is_refused_and_auto_falls_back_to_rewrite()
    {
        var corefile = WriteCorefile("""
            .:53 {
                hosts /etc/coredns/NodeHosts {
                    fallthrough
                }
                kubernetes cluster.local in-addr.arpa ip6.arpa
                forward . /etc/resolv.conf
            }
            """);
        var manifests = CopySample("10.96.0.50");

        var hosts = Run(manifests, corefile, DnsMode.Hosts);
        Assert.Equal(RenderCommand.UnusableInput, hosts.Exit);
        Assert.Equal("", hosts.Stdout);
        Assert.Contains("use rewrite or auto mode", hosts.Stderr);

        var auto = Run(manifests, corefile);
        Assert.Equal(RenderCommand.Ok, auto.Exit);
        Assert.Contains(HelloworldRewrite, Lines(auto.Stdout));
        Assert.Contains("auto mode chose rewrite", auto.Stderr);
    }

    [Fact]
    public void Malformed_manifests_exit_1_and_the_rest_is_still_rendered()
    {
        var manifests = CopySample();
        File.WriteAllText(Path.Combine(manifests, "broken.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: broken
              namespace: default
            spec:
              gateways: [istio-system/canal]
              http:
                - route:
                    - destination:
                        host: [not, a, string]
            """);
        File.WriteAllText(Path.Combine(manifests, "unclosed.yaml"), "metadata:\n  name: [unclosed\n  namespace: x\n");

        var (exit, stdout, stderr) = Run(manifests, Path.Combine(Sample, "Corefile"));

        Assert.Equal(RenderCommand.RenderedWithErrors, exit);
        Assert.Contains(HelloworldRewrite, Lines(stdout));
        var errors = Lines(stderr).Where(l => l.StartsWith("error:")).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains("error: broken.yaml, document 1, spec.http[0].route[0].destination.host: expected a string", errors[0]);
        Assert.StartsWith("error: unclosed.yaml, document 1: not valid YAML at line", errors[1]);
    }

    [Fact]
    public void Manifests_are_found_in_subdirectories_in_yaml_and_json_and_other_files_are_ignored()
    {
        var manifests = Path.Combine(_temp.FullName, "manifests");
        Directory.CreateDirectory(Path.Combine(manifests, "gateway"));
        Directory.CreateDirectory(Path.Combine(manifests, "apps", "reviews"));
        File.Copy(Path.Combine(Sample, "canal-gateway.yaml"), Path.Combine(manifests, "gateway", "canal-gateway.YML"));
        File.WriteAllText(Path.Combine(manifests, "apps", "reviews", "vs.json"), """
            { "apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService",
              "metadata": { "name": "reviews", "namespace": "shop" },
              "spec": { "hosts": ["reviews"], "gateways": ["istio-system/canal"], "http": [ { "route": [ { "destination": { "host": "reviews" } } ] } ] } }
            """);
        File.WriteAllText(Path.Combine(manifests, "README.md"), "{{ not a manifest: [");
        File.WriteAllText(Path.Combine(manifests, "values.txt"), "kind: VirtualService\n");

        var (exit, stdout, _) = Run(manifests, Path.Combine(Sample, "Corefile"));

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.Contains("rewrite name exact reviews.shop.svc.cluster.local canal.istio-system.svc.cluster.local", Lines(stdout));
    }

    [Fact]
    public void Linked_files_are_read_once_and_links_back_up_the_tree_are_not_followed()
    {
        var manifests = Path.Combine(_temp.FullName, "manifests");
        Directory.CreateDirectory(Path.Combine(manifests, "sub"));
        File.Copy(Path.Combine(Sample, "canal-gateway.yaml"), Path.Combine(manifests, "canal-gateway.yaml"));
        // As in a ConfigMap volume, where every key is a link.
        File.CreateSymbolicLink(Path.Combine(manifests, "helloworld.yaml"), Path.Combine(Sample, "helloworld.yaml"));
        File.WriteAllText(Path.Combine(manifests, "sub", "broken.yaml"), "apiVersion: v1\nkind: Service\n");
        Directory.CreateSymbolicLink(Path.Combine(manifests, "sub", "up"), manifests);
        Directory.CreateSymbolicLink(Path.Combine(manifests, "again"), manifests);

        var (exit, stdout, stderr) = Run(manifests, Path.Combine(Sample, "Corefile"));

        Assert.Equal(RenderCommand.RenderedWithErrors, exit);
        Assert.Contains(HelloworldRewrite, Lines(stdout));
        var error = Assert.Single(Lines(stderr), l => l.StartsWith("error:"));
        Assert.Equal("error: sub/broken.yaml, document 1, metadata: is required", error);
    }

    [Fact]
    public void A_hostile_destination_host_never_reaches_the_corefile()
    {
        var manifests = CopySample();
        File.WriteAllText(Path.Combine(manifests, "evil.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: evil, namespace: default }
            spec:
              gateways: [istio-system/canal]
              http:
                - route:
                    - destination: { host: "x.default.svc.cluster.local\n}\n. {\n    forward . 1.2.3.4\n" }
                    - destination: { host: "x.default.svc.cluster.local # comment" }
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: evil-ns, namespace: "default {\n forward . 1.2.3.4" }
            spec:
              gateways: [istio-system/canal]
              http:
                - route: [ { destination: { host: short } } ]
            """);

        var (exit, stdout, stderr) = Run(manifests, Path.Combine(Sample, "Corefile"));

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.DoesNotContain("1.2.3.4", stdout);
        Assert.DoesNotContain("# comment", stdout);
        Assert.Equal([HelloworldRewrite], Lines(stdout).Where(l => l.StartsWith("rewrite")));
        Assert.Equal(3, Lines(stderr).Count(l => l.StartsWith("skipped")));
    }

    [Fact]
    public void A_missing_manifest_directory_exits_2_naming_it()
    {
        var missing = Path.Combine(_temp.FullName, "no-such-dir");
        var (exit, stdout, stderr) = Run(missing, Path.Combine(Sample, "Corefile"));

        Assert.Equal(RenderCommand.UnusableInput, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"manifest directory {missing} does not exist", stderr);
    }

    [Fact]
    public void A_missing_corefile_exits_2_naming_it()
    {
        var missing = Path.Combine(_temp.FullName, "Corefile");
        var (exit, stdout, stderr) = Run(Sample, missing);

        Assert.Equal(RenderCommand.UnusableInput, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(missing, stderr);
    }

    [Theory]
    [InlineData(".:53 {\n    kubernetes cluster.local\n    forward . /etc/resolv.conf\n", "line 1", "missing '}'")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n}\n}\n", "line 4", "unexpected '}'")]
    [InlineData(".:53 {\n    kubernetes cluster.local\n    # canal:begin\n    rewrite name exact a b\n}\n", "line 3", "add the end marker")]
    [InlineData(".:53 {\n    forward . 8.8.8.8\n}\n", "no server block has a 'kubernetes' directive for cluster.local", "check")]
    public void A_corefile_canal_cannot_edit_exits_2_saying_what_to_fix(string corefile, string where, string fix)
    {
        var path = WriteCorefile(corefile);
        var (exit, stdout, stderr) = Run(Sample, path);

        Assert.Equal(RenderCommand.UnusableInput, exit);
        Assert.Equal("", stdout);
        var error = Assert.Single(Lines(stderr));
        Assert.StartsWith($"error: {path}: ", error);
        Assert.Contains(where, error);
        Assert.Contains(fix, error);
    }

    [Fact]
    public void A_cluster_domain_of_its_own_completes_hosts_and_picks_its_block()
    {
        var manifests = Path.Combine(_temp.FullName, "manifests");
        Directory.CreateDirectory(manifests);
        File.Copy(Path.Combine(Sample, "canal-gateway.yaml"), Path.Combine(manifests, "canal-gateway.yaml"));
        File.WriteAllText(Path.Combine(manifests, "vs.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: helloworld, namespace: default }
            spec:
              hosts: [helloworld]
              gateways: [istio-system/canal]
              http:
                - route: [ { destination: { host: helloworld, port: { number: 5000 } } } ]
            """);
        var corefile = WriteCorefile("""
            corp.example:53 {
                kubernetes
                forward . /etc/resolv.conf
            }
            .:53 {
                forward . /etc/resolv.conf
            }
            """);

        var (exit, stdout, _) = RenderInvocation.Invoke("render", "--manifests", manifests, "--corefile", corefile, "--cluster-domain", "Corp.Example.");

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.Contains("rewrite name exact helloworld.default.svc.corp.example canal.istio-system.svc.corp.example", Lines(stdout));
    }

    [Fact]
    public void A_custom_gateway_selector_decides_which_gateway_is_canal()
    {
        var (exit, stdout, stderr) = RenderInvocation.Invoke("render", "--manifests", Sample, "--corefile", Path.Combine(Sample, "Corefile"), "--gateway-selector", "app=other");

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.DoesNotContain("rewrite", stdout);
        Assert.Contains("istio-system/canal is not a known canal gateway", Assert.Single(Lines(stderr), l => l.StartsWith("skipped")));
    }

    [Fact]
    public void A_mesh_wide_default_export_to_the_own_namespace_hides_the_helloworld_virtual_service_from_the_gateway()
    {
        var (exit, stdout, stderr) = RenderInvocation.Invoke("render", "--manifests", Sample, "--corefile", Path.Combine(Sample, "Corefile"), "--default-export-to", ".");

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.DoesNotContain("rewrite", stdout);
        Assert.Contains("is not exported to namespace istio-system", Assert.Single(Lines(stderr), l => l.StartsWith("skipped")));
    }

    [Theory]
    [InlineData("--mode", "dns", "--mode dns is not a mode; use auto, rewrite, hosts or custom")]
    [InlineData("--cluster-domain", "cluster local", "--cluster-domain \"cluster local\" is not a DNS name")]
    [InlineData("--cluster-domain", "", "--cluster-domain \"\" is not a DNS name")]
    [InlineData("--cluster-domain", "-bad.local", "is not a DNS name")]
    [InlineData("--gateway-selector", "app", "--gateway-selector: \"app\" is not a label pair; write key=value[,key=value]")]
    [InlineData("--gateway-selector", ",", "--gateway-selector: the selector is empty")]
    [InlineData("--default-export-to", "shop.svc", "--default-export-to \"shop.svc\" is not *, ., ~ or a namespace")]
    [InlineData("--default-export-to", ",", "--default-export-to \",\" is not *, ., ~ or a namespace")]
    public void A_bad_option_value_exits_2_saying_what_to_write(string option, string value, string message)
    {
        var (exit, stdout, stderr) = RenderInvocation.Invoke("render", "--manifests", Sample, "--corefile", Path.Combine(Sample, "Corefile"), option, value);

        Assert.Equal(RenderCommand.UnusableInput, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(message, stderr);
    }

    [Theory]
    [InlineData("REWRITE")]
    [InlineData("rewrite")]
    [InlineData("Auto")]
    public void Mode_names_are_case_insensitive(string mode)
    {
        var (exit, stdout, _) = RenderInvocation.Invoke("render", "--manifests", Sample, "--corefile", Path.Combine(Sample, "Corefile"), "--mode", mode);

        Assert.Equal(RenderCommand.Ok, exit);
        Assert.Contains(HelloworldRewrite, Lines(stdout));
    }

    [Fact]
    public async Task The_canal_executable_renders_the_sample_and_rejects_usage_errors()
    {
        var canal = Path.Combine(AppContext.BaseDirectory, "canal.dll");
        Assert.True(File.Exists(canal), $"{canal} is built next to the tests");

        var render = await RunProcess(canal, "render", "--manifests", Sample, "--corefile", Path.Combine(Sample, "Corefile"));
        Assert.Equal(0, render.Exit);
        Assert.Equal([HelloworldRewrite], Lines(render.Stdout).Where(l => l.StartsWith("rewrite")));
        Assert.Contains("1 redirected", render.Stderr);

        // A usage error is unusable input: exit 2, and no help text on stdout where a Corefile is expected.
        var usage = await RunProcess(canal, "render", "--manifests", Sample);
        Assert.Equal(2, usage.Exit);
        Assert.Equal("", usage.Stdout);
        Assert.Contains("--corefile", usage.Stderr);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunProcess(string dll, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"canal {string.Join(' ', args)} did not exit within 60 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private static (int Exit, string Stdout, string Stderr) Run(string manifests, string corefile, DnsMode mode = DnsMode.Auto, RedirectOptions? options = null)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = RenderCommand.Run(manifests, corefile, mode, options ?? new RedirectOptions(), stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A copy of the helloworld manifests; the gateway Service gets <paramref name="gatewayClusterIP"/> when given.</summary>
    private string CopySample(string? gatewayClusterIP = null)
    {
        var directory = Samples.CopyTo(Samples.Helloworld, Path.Combine(_temp.FullName, "manifests"));
        if (gatewayClusterIP != null)
        {
            var gateway = Path.Combine(directory, "canal-gateway.yaml");
            var text = File.ReadAllText(gateway);
            var withIP = text.Replace("spec:\n  selector:\n    app: canal-gateway\n  ports:", $"spec:\n  clusterIP: {gatewayClusterIP}\n  selector:\n    app: canal-gateway\n  ports:");
            Assert.NotEqual(text, withIP);
            File.WriteAllText(gateway, withIP);
        }
        return directory;
    }

    private string WriteCorefile(string text)
    {
        var path = Path.Combine(_temp.FullName, "Corefile");
        File.WriteAllText(path, text);
        return path;
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n').Select(l => l.TrimEnd('\r').Trim()).Where(l => l.Length > 0)];
}
