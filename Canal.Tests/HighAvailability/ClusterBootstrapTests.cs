using System.Text.Json.Nodes;
using Canal.Tests.KubernetesMode;
using Canal.Tests.Support;

namespace Canal.Tests.HighAvailability;

/// <summary>
/// The path every multi-replica install takes: three real Canal processes find each other through the pods API
/// (with the settings the chart and the ha overlay give), form one cluster, lose a node and take it back.
/// </summary>
[Collection(ClusterTimingCollection.Name)]
public sealed class ClusterBootstrapTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string Label = "app.kubernetes.io/name";

    /// <summary>A pod as kubelet reports it once running: its IP and the container port named remoting.</summary>
    private static JsonObject Pod(string name, int remotingPort) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "istio-system", ["labels"] = new JsonObject { [Label] = "canal-control" } },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "canal",
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "remoting", ["containerPort"] = remotingPort }),
            }),
        },
        ["status"] = new JsonObject { ["phase"] = "Running", ["podIP"] = "127.0.0.1" },
    };

    [Fact]
    public async Task Three_replicas_form_one_cluster_through_the_pods_API_and_a_lost_one_rejoins()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        var journal = await postgres.CreateDatabase();

        var nodes = Enumerable.Range(0, 3).Select(i => (Name: $"canal-control-{i}", Remoting: Ports.Free(), Management: Ports.Free())).ToList();
        foreach (var node in nodes)
            cluster.Api.Apply(Pod(node.Name, node.Remoting));
        CanalProcess Start((string Name, int Remoting, int Management) node) => cluster.StartCanal(
            new Dictionary<string, string>
            {
                // As the ha overlay and the chart set them (k8s/overlays/ha/cluster.yaml).
                ["Canal__Bootstrap__Enabled"] = "true",
                ["Canal__Bootstrap__LabelSelector"] = $"{Label}=canal-control",
                ["Canal__Bootstrap__RequiredContactPoints"] = "3",
                ["Canal__Bootstrap__PodNamespace"] = "istio-system",
            },
            "--postgres", journal, "--port", node.Remoting.ToString(), "--management-port", node.Management.ToString());
        var processes = nodes.Select(Start).ToList();
        var addresses = nodes.Select(n => $"akka.tcp://canal@127.0.0.1:{n.Remoting}").ToArray();

        await UpMembers(nodes[0].Management, processes, addresses);
        await cluster.Redirects(["helloworld.default.svc.cluster.local"]);
        Assert.Contains(cluster.Api.RequestLog, r => r.Verb == "list" && r.Resource == "pods" && r.Namespace == "istio-system" && r.StatusCode == 200);

        await processes[2].Crash();
        await UpMembers(nodes[0].Management, processes, addresses[..2]);
        processes[2] = Start(nodes[2]);
        await UpMembers(nodes[0].Management, processes, addresses);
    }

    private static Task UpMembers(int management, IReadOnlyList<CanalProcess> processes, params string[] addresses) =>
        Eventually.True(() =>
        {
            var members = ReplicaSet.Ask<Canal.Contracts.ClusterView>($"127.0.0.1:{management}", "cluster", "show").Result?.Members ?? [];
            return members.Count == addresses.Length && addresses.All(a => members.Any(m => m.Address == a && m.Status == "Up"));
        }, () => $"exactly [{string.Join(", ", addresses)}] to be Up; the nodes said:\n{string.Join("\n---\n", processes.Select(p => string.Join('\n', p.Lines.TakeLast(15))))}", TimeSpan.FromSeconds(90));
}
