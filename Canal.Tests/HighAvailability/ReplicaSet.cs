using System.Text.Json;
using System.Text.Json.Nodes;
using Canal.Contracts;
using Canal.Dns;
using Canal.Istio;
using Canal.Tests.KubernetesMode;
using Canal.Tests.Support;

namespace Canal.Tests.HighAvailability;

/// <summary>Several real <c>canal run</c> nodes against one emulated cluster, sharing a PostgreSQL journal.</summary>
/// <remarks>The processes belong to the cluster, which ends them.</remarks>
internal sealed class ReplicaSet(KubeCluster cluster, string journal)
{
    private readonly List<Replica> _replicas = [];

    public sealed record Replica(CanalProcess Process, string Address, string Management);

    public IReadOnlyList<Replica> Replicas => _replicas;

    public async Task<Replica> Start()
    {
        var port = Ports.Free();
        var management = Ports.Free();
        // Seeds are the nodes running now (a stopped first seed must not keep new nodes out); the first seeds itself.
        var live = _replicas.Where(r => !r.Process.HasExited).Select(r => r.Address).DefaultIfEmpty($"akka.tcp://canal@127.0.0.1:{port}");
        var process = cluster.StartCanal(["--postgres", journal, "--port", port.ToString(), .. live.SelectMany(s => new[] { "--seed-node", s }),
            "--management-port", management.ToString(), "--debounce-ms", "100"]);
        var replica = new Replica(process, $"akka.tcp://canal@127.0.0.1:{port}", $"127.0.0.1:{management}");
        _replicas.Add(replica);
        await process.WaitForLine(l => l.Contains("canal run:"), "the node to start");
        return replica;
    }

    /// <summary>A canal-cmd answer read into the API's own type, or null when the command failed.</summary>
    public static async Task<T?> Ask<T>(string management, params string[] command) where T : class
    {
        var cmd = CanalProcess.Cmd(null, [management, "-o", "json", .. command]);
        await cmd.WaitForExit();
        return cmd.ExitCode == 0 ? JsonSerializer.Deserialize<T>(cmd.Output, ManagementJson.Options) : null;
    }

    public static Task AllUp(Replica observer, params Replica[] replicas) =>
        Eventually.True(() =>
        {
            var members = Ask<ClusterView>(observer.Management, "cluster", "show").Result?.Members ?? [];
            return members.Count == replicas.Length
                && replicas.All(r => members.Any(m => m.Address == r.Address && m.Status == "Up"));
        }, () => $"exactly [{string.Join(", ", replicas.Select(r => r.Address))}] to be Up", TimeSpan.FromSeconds(60));

    /// <summary>The Corefile canal render gives for every VirtualService, Gateway and Service the emulator holds now.</summary>
    public string Expected()
    {
        static List<T> All<T>(KubeCluster cluster, string group, string version, string resource, Func<JsonElement, T> decode, IEnumerable<(string Ns, string Name)> keys) =>
            [.. keys.Select(k => cluster.Api.Get(group, version, resource, k.Ns, k.Name)).OfType<JsonObject>().Select(o => decode(JsonDocument.Parse(o.ToJsonString()).RootElement))];
        List<(string, string)> keys;
        lock (_created)
            keys = [.. _created];
        var virtualServices = All(cluster, "networking.istio.io", "v1", "virtualservices", e => ManifestDecoder.DecodeVirtualService(e), keys);
        var gateways = All(cluster, "networking.istio.io", "v1", "gateways", e => ManifestDecoder.DecodeGateway(e), [("istio-system", "canal")]);
        var services = All(cluster, "", "v1", "services", e => ManifestDecoder.DecodeService(e), [("istio-system", "canal"), ("default", "helloworld")]);
        return cluster.RenderOf(virtualServices, gateways, services);
    }

    /// <summary>The VirtualServices that exist: the sample's and those applied through this set.</summary>
    private readonly HashSet<(string Ns, string Name)> _created = [("default", "helloworld")];

    public void Apply(string ns, string name, params string[] hosts)
    {
        lock (_created)
        {
            cluster.Api.Apply(KubeCluster.VirtualService(ns, name, hosts));
            _created.Add((ns, name));
        }
    }

    public void Delete(string ns, string name)
    {
        lock (_created)
        {
            cluster.Api.Delete("networking.istio.io", "virtualservices", ns, name);
            _created.Remove((ns, name));
        }
    }

    public Task Converged(TimeSpan? timeout = null) =>
        Eventually.True(() => Expected() == WriteMarkers.Without(cluster.Corefile()), () =>
        {
            var (want, have) = (CorefileUpdate.RedirectedHosts(Expected()), CorefileUpdate.RedirectedHosts(cluster.Corefile()));
            return $"the Corefile to equal the render; missing [{string.Join(", ", want.Except(have).Take(10))}], extra [{string.Join(", ", have.Except(want).Take(10))}]";
        }, timeout ?? TimeSpan.FromSeconds(90));
}
