using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Canal.Node.Management;

namespace Canal.Node.Kubernetes;

/// <summary>An Event Canal posted: its name, and how many times it has said so.</summary>
internal sealed record PostedEvent(string Name, int Count);

/// <summary>An Event as Canal posts it: source and reporting component <c>canal</c> (how Canal finds its own again), first seen now.</summary>
internal static class CanalEvent
{
    public const string Component = "canal";

    /// <summary>
    /// Says it again: counts <paramref name="earlier"/> up (count, lastTimestamp) when there is one, as Kubernetes' own
    /// recorders do, else creates <paramref name="fresh"/>; an earlier one that expired (the API server keeps Events an
    /// hour by default) is created anew.
    /// </summary>
    public static async Task<PostedEvent> PostAsync(IKubernetes client, Corev1Event fresh, PostedEvent? earlier, DateTime now, CancellationToken cancellationToken)
    {
        var ns = fresh.Metadata.NamespaceProperty;
        if (earlier != null)
        {
            try
            {
                var patch = new V1Patch(new { count = earlier.Count + 1, lastTimestamp = now }, V1Patch.PatchType.MergePatch);
                await client.CoreV1.PatchNamespacedEventAsync(patch, earlier.Name, ns, cancellationToken: cancellationToken);
                CanalMetrics.EventsPosted.Add(1, CanalMetrics.Tag("reason", fresh.Reason));
                return earlier with { Count = earlier.Count + 1 };
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
        var created = await client.CoreV1.CreateNamespacedEventAsync(fresh, ns, cancellationToken: cancellationToken);
        CanalMetrics.EventsPosted.Add(1, CanalMetrics.Tag("reason", fresh.Reason));
        return new PostedEvent(created.Metadata.Name, 1);
    }

    public static Corev1Event New(V1ObjectReference subject, string type, string reason, string message, DateTime now, IDictionary<string, string>? annotations = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            GenerateName = $"{subject.Name}.",
            NamespaceProperty = subject.NamespaceProperty,
            Annotations = annotations,
        },
        InvolvedObject = subject,
        Type = type,
        Reason = reason,
        Message = message,
        Source = new V1EventSource { Component = Component },
        ReportingComponent = Component,
        ReportingInstance = Environment.MachineName,
        FirstTimestamp = now,
        LastTimestamp = now,
        Count = 1,
    };
}
