using Akka.Actor;
using Canal.Dns;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Node.Management;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// <c>--nudge-coredns-pods</c>: after a write, sets the annotation <see cref="Annotation"/> to the write's number and its
/// marker's stamp (numbers start again with a new DnsWriter, and a patch to the value a pod has changes nothing) on each
/// pod behind the kube-dns Service that mounts the ConfigMap Canal writes (read first: a pod that does not gains nothing). kubelet syncs a pod whose object changed at once, and refreshes its ConfigMap
/// volumes with it, instead of at its next periodic sync (up to a minute or more). Told of writes on the event stream,
/// never on the write path; at most one nudge per <see cref="Every"/>, the newest write carried by the next; a failure
/// is a warning and a count, and is not retried (the next write nudges again).
/// </summary>
internal sealed class CoreDnsNudge : ReceiveActor, IWithTimers
{
    public const string Annotation = "canal.io/corefile-write";
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    private readonly IKubernetes _client;
    private readonly ObjectKey _service;
    private readonly string _configMap;
    private readonly ILogger _logger;
    private string? _waiting;
    private readonly Dictionary<(string Namespace, string Name), bool> _mounts = [];
    private string? _lastFailure;

    public CoreDnsNudge(IKubernetes client, ObjectKey service, string configMap, ILogger logger)
    {
        (_client, _service, _configMap, _logger) = (client, service, configMap, logger);
        Ready();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The last nudge is long enough ago: a write nudges at once.</summary>
    private void Ready()
    {
        ReceiveAsync<CorefileWritten>(async written => await Nudge(Value(written)));
    }

    /// <summary>A nudge went out less than <see cref="Every"/> ago: the newest write waits for the end of it.</summary>
    private void CoolingDown()
    {
        Receive<CorefileWritten>(written => _waiting = Value(written));
        ReceiveAsync<CooledDown>(async _ =>
        {
            if (_waiting is { } write)
                await Nudge(write);
            else
                Become(Ready);
        });
    }

    /// <summary>The write's marker label (<c>w12-mkq3x9d2a1</c>).</summary>
    private static string Value(CorefileWritten written) => WriteMarker.Label(written.Marker);

    private async Task Nudge(string write)
    {
        _waiting = null;
        Timers.StartSingleTimer(nameof(CooledDown), CooledDown.Instance, Every);
        Become(CoolingDown);
        var annotations = new Dictionary<string, string> { [Annotation] = write };
        var patch = new V1Patch(new { metadata = new { annotations } }, V1Patch.PatchType.MergePatch);
        IReadOnlyList<(string Namespace, string Name)> pods;
        try
        {
            pods = await KubeDnsEndpoints.PodsAsync(_client, _service.Namespace, _service.Name, CancellationToken.None);
        }
        catch (Exception e)
        {
            Failed($"the CoreDNS pods behind {_service} could not be listed ({e.Message})", 1);
            return;
        }
        var failures = new List<string>();
        // A pod's volumes never change: each is read once while it stays behind the Service.
        foreach (var gone in _mounts.Keys.Except(pods).ToList())
            _mounts.Remove(gone);
        foreach (var (ns, name) in pods)
        {
            try
            {
                if (!_mounts.TryGetValue((ns, name), out var mounts))
                    _mounts[(ns, name)] = mounts = Mounts(await _client.CoreV1.ReadNamespacedPodAsync(name, ns));
                if (!mounts)
                    continue;
                await _client.CoreV1.PatchNamespacedPodAsync(patch, name, ns);
                CanalMetrics.CoreDnsNudges.Add(1, CanalMetrics.Tag("result", "patched"));
            }
            catch (Exception e)
            {
                failures.Add($"{ns}/{name}: {e.Message}");
            }
        }
        if (failures.Count > 0)
            Failed($"write {write} could not be announced to {string.Join("; ", failures)}", failures.Count);
        else
            _lastFailure = null;
    }

    private bool Mounts(V1Pod pod) =>
        (pod.Spec?.Volumes ?? []).Any(v => v.ConfigMap?.Name == _configMap || (v.Projected?.Sources ?? []).Any(s => s.ConfigMap?.Name == _configMap));

    /// <summary>Counted every time; said when it is not what was said last (a lost permission fails every nudge alike).</summary>
    private void Failed(string what, int count)
    {
        CanalMetrics.CoreDnsNudges.Add(count, CanalMetrics.Tag("result", "failed"));
        if (what == _lastFailure)
            return;
        _lastFailure = what;
        _logger.LogWarning("--nudge-coredns-pods: {Failure}; kubelet refreshes their Corefile at its own pace meanwhile (further failures are counted in canal_coredns_nudges_total{{result=\"failed\"}})", what);
    }

    private sealed record CooledDown
    {
        public static readonly CooledDown Instance = new();
    }
}
