using k8s.Models;

namespace Canal.Node.Kubernetes;

/// <summary>An Event as Canal posts it: source and reporting component <c>canal</c> (how Canal finds its own again), first seen now.</summary>
internal static class CanalEvent
{
    public const string Component = "canal";

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
