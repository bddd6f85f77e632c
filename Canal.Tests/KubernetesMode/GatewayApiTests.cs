using Canal.Tests.KubeApi;
using Canal.Tests.Support;

namespace Canal.Tests.KubernetesMode;

/// <summary>The Gateway API in Kubernetes mode, against the emulator with the Gateway API's CRDs (standard channel) installed, or not.</summary>
public sealed class GatewayApiTests
{
    private const string Helloworld = "helloworld.default.svc.cluster.local";

    private const string MeshEndpoints = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: mesh-canal-abcde
          namespace: istio-system
          labels: {kubernetes.io/service-name: mesh-canal}
        addressType: IPv4
        ports: [{name: http, port: 5000, protocol: TCP}]
        endpoints: [{addresses: [10.1.0.7], conditions: {ready: true}}]
        """;

    [Fact]
    public async Task An_HTTPRoute_on_a_canal_gateway_is_redirected_with_its_Event_on_the_route_and_deleting_the_route_withdraws_it()
    {
        await using var cluster = await KubeCluster.Start();
        foreach (var manifest in Samples.Manifests(Samples.GatewayApi))
            cluster.Api.Apply(manifest);
        cluster.Api.Apply(MeshEndpoints);
        var canal = cluster.StartCanal("--mode", "rewrite");

        await cluster.Redirects([Helloworld]);
        Assert.Contains($"rewrite name exact {Helloworld} mesh-canal.istio-system.svc.cluster.local", cluster.Corefile());
        await Eventually.True(() => cluster.Api.List("", "v1", "events", "default").Any(e =>
                (string?)e["involvedObject"]?["kind"] == "HTTPRoute" && (string?)e["involvedObject"]?["name"] == "helloworld" && (string?)e["reason"] == "PartiallyRouted"
                && ((string?)e["message"] ?? "").Contains("partial: only uri prefix /hello is routed", StringComparison.Ordinal)),
            () => $"the PartiallyRouted Event on HTTPRoute default/helloworld (it routes only /hello); the Events are:\n{string.Join("\n", cluster.Api.List("", "v1", "events", null).Select(e => e.ToJsonString()))}\ncanal said:\n{canal.Output}");
        // Istio owns the routes' status: Canal never writes a Gateway API object.
        Assert.DoesNotContain(cluster.Api.RequestLog, r => r.Group == ResourceCatalog.GatewayApiGroup && r.Verb is "update" or "patch" or "create");

        Assert.True(cluster.Api.Delete(ResourceCatalog.GatewayApiGroup, "httproutes", "default", "helloworld"));
        await cluster.Redirects([], [Helloworld]);
        await canal.Stop();
    }

    [Fact]
    public async Task Without_the_Gateway_API_CRDs_Canal_says_so_once_and_keeps_redirecting_VirtualServices()
    {
        await using var cluster = await KubeCluster.Start(options: new KubeApiOptions { GatewayApi = false });
        cluster.ApplySample();
        var canal = cluster.StartCanal();

        await cluster.Redirects([Helloworld]);
        var warning = Assert.Single(canal.Lines, l => l.Contains("does not serve"));
        Assert.Contains("of gateway.networking.k8s.io", warning);
        Assert.Contains("are the Gateway API CRDs installed", warning);
        await canal.Stop();
    }
}
