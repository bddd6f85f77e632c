using Akka.Actor;
using Canal.Istio;
using Canal.Node.Management;
using Canal.Propagation;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// A Warning Event (<see cref="Reason"/>) on the ConfigMap Canal writes when its writes are not live on every CoreDNS
/// replica in time: <c>kubectl -n kube-system describe configmap coredns</c>. The same message as the last counts that
/// Event up instead of posting another.
/// </summary>
internal sealed class CoreDnsEvents : ReceiveActor
{
    public const string Reason = "NotLive";

    private (string Message, string Name, int Count)? _last;

    public CoreDnsEvents(IKubernetes client, ObjectKey configMap, ILogger logger)
    {
        var subject = new V1ObjectReference { ApiVersion = "v1", Kind = "ConfigMap", Name = configMap.Name, NamespaceProperty = configMap.Namespace };
        ReceiveAsync<WriteNotLive>(n => !n.Repeat, async n =>
        {
            var p = n.Propagation;
            var message = $"Canal's writes are not live on {string.Join(", ", p.NotLive ?? [])} ({p.Live}/{p.Replicas} replicas) within the propagation deadline: {p.Cause}";
            var now = DateTime.UtcNow;
            try
            {
                if (_last is { } last && last.Message == message)
                {
                    var patch = new V1Patch(new { count = last.Count + 1, lastTimestamp = now }, V1Patch.PatchType.MergePatch);
                    await client.CoreV1.PatchNamespacedEventAsync(patch, last.Name, configMap.Namespace);
                    _last = last with { Count = last.Count + 1 };
                    return;
                }
                var created = await client.CoreV1.CreateNamespacedEventAsync(CanalEvent.New(subject, "Warning", Reason, message, now), configMap.Namespace);
                _last = (message, created.Metadata.Name, 1);
            }
            catch (Exception e)
            {
                // An expired Event is posted anew next time; nothing else is retried: the next write that is late says it again.
                _last = null;
                CanalMetrics.EventFailures.Add(1);
                if (!ApiRefusals.IsRefusal(e))
                    logger.LogWarning("the Event on {ConfigMap} saying write #{Write} is not live could not be posted: {Error}", configMap, p.Write, e.Message);
            }
        });
        Receive<WriteNotLive>(_ => { });
    }
}
