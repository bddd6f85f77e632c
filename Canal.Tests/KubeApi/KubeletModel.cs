using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// kubelet as far as a ConfigMap volume goes, for the pods a test runs as CoreDNS replicas: each pod's copy of the
/// ConfigMap is refreshed on kubelet's sync period (60 s by default in a cluster; shorter in tests), or at once when
/// the pod's annotations change, as kubelet syncs a pod whose object changed and refreshes its volumes with it.
/// </summary>
internal sealed class KubeletModel : IDisposable
{
    private readonly KubeApiServer _api;
    private readonly TimeSpan _period;
    private readonly Dictionary<string, (string View, Timer Sync)> _pods = new(StringComparer.Ordinal);
    private readonly List<Refresh> _refreshes = [];
    private readonly Lock _gate = new();

    private const string Namespace = "kube-system";

    /// <summary>A pod's copy was refreshed, by its sync period or because its annotations changed.</summary>
    public sealed record Refresh(string Pod, bool Annotated);

    /// <summary>Models the pods' copies of CoreDNS's ConfigMap, kube-system/coredns.</summary>
    public KubeletModel(KubeApiServer api, TimeSpan period)
    {
        (_api, _period) = (api, period);
        api.Observe(change =>
        {
            if (change.ResourceType.Resource == "pods" && change.Namespace == Namespace && change.Previous is { } previous
                && Annotations(previous) != Annotations(change.Object) && JsonNode.Parse(change.Object)?["metadata"]?["name"]?.GetValue<string>() is { } pod)
                // Off the store's lock: the refresh reads the ConfigMap.
                _ = Task.Run(() => Update(pod, annotated: true));
        });
    }

    public IReadOnlyList<Refresh> Refreshes
    {
        get
        {
            lock (_gate)
                return [.. _refreshes];
        }
    }

    /// <summary>
    /// The pod <paramref name="pod"/> (a CoreDNS Pod object mounting the ConfigMap, applied here) and what its CoreDNS
    /// reads: the Corefile as kubelet last copied it (CoreDNS's own reload taken as instant).
    /// </summary>
    public Func<string> Mount(string pod)
    {
        _api.Apply(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = pod, ["namespace"] = Namespace, ["labels"] = new JsonObject { ["k8s-app"] = "kube-dns" } },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "coredns", ["image"] = "registry.k8s.io/coredns/coredns:v1.11.3" }),
                ["volumes"] = new JsonArray(new JsonObject { ["name"] = "config-volume", ["configMap"] = new JsonObject { ["name"] = "coredns" } }),
            },
        });
        lock (_gate)
            _pods[pod] = (_api.Corefile(), new Timer(_ => Update(pod, annotated: false), null, _period, _period));
        return () =>
        {
            lock (_gate)
                return _pods[pod].View;
        };
    }

    /// <summary>kubelet's periodic sync of every pod, now (a test that plays the period itself passes an infinite one).</summary>
    public void Sync()
    {
        List<string> pods;
        lock (_gate)
            pods = [.. _pods.Keys];
        foreach (var pod in pods)
            Update(pod, annotated: false);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, sync) in _pods.Values)
                sync.Dispose();
        }
    }

    private void Update(string pod, bool annotated)
    {
        var corefile = _api.Corefile();
        lock (_gate)
        {
            if (!_pods.TryGetValue(pod, out var mounted))
                return;
            _pods[pod] = mounted with { View = corefile };
            _refreshes.Add(new Refresh(pod, annotated));
        }
    }

    private static string Annotations(string json) => JsonNode.Parse(json)?["metadata"]?["annotations"]?.ToJsonString() ?? "";
}
