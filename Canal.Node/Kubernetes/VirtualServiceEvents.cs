using System.Collections.Concurrent;
using System.Threading.Channels;
using Canal.Istio;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// Kubernetes Events on VirtualServices, so <c>kubectl describe virtualservice</c> says what Canal did with
/// each host: Redirected (Normal), Skipped or Blocked (Warning), Invalid (Warning). The same news is posted
/// once; posting is paced and queued (oldest dropped past a bound) so a large first sync cannot flood the API.
/// </summary>
internal sealed class VirtualServiceEvents : IDisposable
{
    private const int QueueBound = 10_000;
    private const int MaxRemembered = 200_000;
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(50);

    private readonly IKubernetes _client;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(ObjectKey, string), string> _posted = new();
    private readonly Channel<(ObjectKey VirtualService, string Type, string Reason, string Message)> _queue =
        Channel.CreateBounded<(ObjectKey, string, string, string)>(new BoundedChannelOptions(QueueBound) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stopping = new();

    public VirtualServiceEvents(IKubernetes client, ILogger logger)
    {
        _client = client;
        _logger = logger;
        _ = Task.Run(Post);
    }

    /// <summary>One event per VirtualService and host whose verdict changed since it was last told.</summary>
    public void Observe(RedirectPlan plan)
    {
        foreach (var decision in plan.Decisions)
        {
            var (type, reason) = decision.Status switch
            {
                HostStatus.Redirected => ("Normal", "Redirected"),
                HostStatus.Blocked => ("Warning", "Blocked"),
                _ => ("Warning", "Skipped"),
            };
            foreach (var claimer in decision.Claimers)
                Report(claimer, decision.Host, type, reason, $"{HostName.Quote(decision.Host)}: {decision.Reason}");
        }
    }

    public void Invalid(ManifestError error, ObjectKey virtualService) =>
        Report(virtualService, "", "Warning", "Invalid", $"{error.Field}: {error.Message} (Canal keeps its last good version, if any)");

    public void Dispose()
    {
        _stopping.Cancel();
        _queue.Writer.TryComplete();
    }

    private void Report(ObjectKey virtualService, string subject, string type, string reason, string message)
    {
        var news = $"{reason}:{message}";
        if (_posted.TryGetValue((virtualService, subject), out var told) && told == news)
            return;
        if (_posted.Count > MaxRemembered)
            _posted.Clear();
        _posted[(virtualService, subject)] = news;
        _queue.Writer.TryWrite((virtualService, type, reason, message));
    }

    private async Task Post()
    {
        try
        {
            await foreach (var (vs, type, reason, message) in _queue.Reader.ReadAllAsync(_stopping.Token))
            {
                var now = DateTime.UtcNow;
                var @event = new Corev1Event
                {
                    Metadata = new V1ObjectMeta { GenerateName = $"{vs.Name}.", NamespaceProperty = vs.Namespace },
                    InvolvedObject = new V1ObjectReference { ApiVersion = $"{ManifestDecoder.IstioGroup}/v1", Kind = "VirtualService", Name = vs.Name, NamespaceProperty = vs.Namespace },
                    Type = type,
                    Reason = reason,
                    Message = message.Length > 1000 ? message[..1000] : message,
                    Source = new V1EventSource { Component = "canal" },
                    ReportingComponent = "canal",
                    ReportingInstance = Environment.MachineName,
                    FirstTimestamp = now,
                    LastTimestamp = now,
                    Count = 1,
                };
                try
                {
                    await _client.CoreV1.CreateNamespacedEventAsync(@event, vs.Namespace, cancellationToken: _stopping.Token);
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    _logger.LogDebug("event for {VirtualService} not posted: {Error}", vs, e.Message);
                }
                await Task.Delay(Pace, _stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
