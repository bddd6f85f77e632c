using Akka.Actor;
using Canal.Istio;
using Canal.Node.Management;
using Canal.Propagation;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// A Warning Event (<see cref="Reason"/>) on the ConfigMap Canal writes when a write is not live on every CoreDNS replica
/// in time: <c>kubectl -n kube-system describe configmap coredns</c>. The same message again counts up its Event.
/// </summary>
internal sealed class CoreDnsEvents : ReceiveActor
{
    public const string Reason = "NotLive";

    private readonly Dictionary<string, (string Name, int Count)> _posted = new(StringComparer.Ordinal);

    public CoreDnsEvents(IKubernetes client, ObjectKey configMap, ILogger logger)
    {
        var subject = new V1ObjectReference { ApiVersion = "v1", Kind = "ConfigMap", Name = configMap.Name, NamespaceProperty = configMap.Namespace };
        ReceiveAsync<WriteNotLive>(async n =>
        {
            var p = n.Propagation;
            var message = $"Canal's writes are not live on {string.Join(", ", p.NotLive ?? [])} ({p.Live}/{p.Replicas} replicas) {p.Seconds:0} s after they were made: {p.Cause}";
            var now = DateTime.UtcNow;
            try
            {
                if (_posted.TryGetValue(message, out var earlier))
                {
                    var patch = new V1Patch(new { count = earlier.Count + 1, lastTimestamp = now }, V1Patch.PatchType.MergePatch);
                    await client.CoreV1.PatchNamespacedEventAsync(patch, earlier.Name, configMap.Namespace);
                    _posted[message] = (earlier.Name, earlier.Count + 1);
                    return;
                }
                var created = await client.CoreV1.CreateNamespacedEventAsync(CanalEvent.New(subject, "Warning", Reason, message, now), configMap.Namespace);
                _posted[message] = (created.Metadata.Name, 1);
            }
            catch (Exception e)
            {
                // An expired Event is posted anew next time; nothing else is retried: the next write that is late says it again.
                _posted.Remove(message);
                CanalMetrics.EventFailures.Add(1);
                if (!ApiRefusals.IsRefusal(e))
                    logger.LogWarning("the Event on {ConfigMap} saying write #{Write} is not live could not be posted: {Error}", configMap, p.Write, e.Message);
            }
        });
    }
}
