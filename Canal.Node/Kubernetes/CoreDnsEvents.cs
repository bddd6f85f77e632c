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

    private (string Message, PostedEvent Event)? _last;

    public CoreDnsEvents(IKubernetes client, ObjectKey configMap, ILogger logger)
    {
        var subject = new V1ObjectReference { ApiVersion = "v1", Kind = "ConfigMap", Name = configMap.Name, NamespaceProperty = configMap.Namespace };
        var failedBefore = false;
        ReceiveAsync<WriteNotLive>(n => !n.Repeat, async n =>
        {
            var p = n.Propagation;
            var message = $"Canal's writes are not live on {string.Join(", ", p.NotLive ?? [])} ({p.Live}/{p.Replicas} replicas) within the propagation deadline: {p.Cause}";
            var now = DateTime.UtcNow;
            try
            {
                var earlier = _last is { } last && last.Message == message ? last.Event : null;
                _last = (message, await CanalEvent.PostAsync(client, CanalEvent.New(subject, "Warning", Reason, message, now), earlier, now, CancellationToken.None));
            }
            catch (Exception e)
            {
                // Nothing is retried: the next write that is late says it again.
                _last = null;
                CanalMetrics.EventFailures.Add(1);
                if (!ApiRefusals.IsRefusal(e) && !failedBefore)
                    logger.LogWarning("the Event on {ConfigMap} saying write #{Write} is not live could not be posted ({Error}); further failures are counted in canal_events_failed_total", configMap, p.Write, e.Message);
                failedBefore = true;
            }
        });
        Receive<WriteNotLive>(_ => { });
    }
}
