using Canal.Node.Management;
using Canal.Istio;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>Posting: one loop takes what is due within the rate limits, creates or patches the Event, and reads back Canal's earlier Events once.</summary>
internal sealed partial class VirtualServiceEvents
{
    /// <summary>Wakes the poster once, however many reports arrive before it looks.</summary>
    private void Wake()
    {
        if (_wake.CurrentCount == 0)
            _wake.Release();
    }

    private async Task Post()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                // New news wakes it; waiting news is looked at again every second, for buckets that have refilled.
                await _wake.WaitAsync(TimeSpan.FromSeconds(1), _stopping.Token);
                bool readBack;
                lock (_gate)
                    (readBack, _readBackDue) = (_readBackDue, false);
                if (readBack)
                    await ReadBack(_stopping.Token);
                foreach (var news in Due())
                    await Send(news);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// The news that changes what a VirtualService's Events say and that the rate limits let through now. It stops at
    /// the overall limit: a first start has news for every VirtualService waiting, and scanning (or copying) all of
    /// it for each Event posted made every write of a 10k cluster wait on the poster.
    /// </summary>
    private List<News> Due()
    {
        var due = new List<News>();
        lock (_gate)
        {
            if (!_overall.HasToken())
                return due;
            // Removing while enumerating is allowed for Dictionary.
            foreach (var (key, news) in _pending)
            {
                if (_told.TryGetValue(key, out var told) && told.Reason == news.Reason && told.Message == news.Message)
                {
                    _pending.Remove(key);
                    continue;
                }
                if (!_perObject.TryGetValue(news.VirtualService, out var bucket))
                    _perObject[news.VirtualService] = bucket = new TokenBucket(PerObjectBurst, PerObjectRefill, _clock);
                if (!bucket.HasToken())
                    continue;
                if (!_overall.TryTake())
                    break;
                bucket.TryTake();
                _pending.Remove(key);
                due.Add(news);
            }
        }
        return due;
    }

    private async Task Send(News news)
    {
        PostedEvent? earlier;
        lock (_gate)
            earlier = _posted.GetValueOrDefault((news.VirtualService, news.Reason, news.Message));
        try
        {
            var fresh = CanalEvent.New(EventSubject.Of(news.VirtualService), news.Type, news.Reason, news.Message, _clock.GetUtcNow().UtcDateTime,
                new Dictionary<string, string> { [HostAnnotation] = news.Host });
            Told(news, await CanalEvent.PostAsync(_client, fresh, earlier, _clock.GetUtcNow().UtcDateTime, _stopping.Token));
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            Failed(e);
            // Plans report only what changed, so nothing would bring this back: it waits for the next look. A refusal
            // (RBAC) would be refused again: it is dropped, counted, and reported once.
            if (!ApiRefusals.IsRefusal(e))
            {
                lock (_gate)
                    _pending.TryAdd((news.VirtualService, news.Host), news);
            }
        }
    }

    private void Told(News news, PostedEvent posted)
    {
        lock (_gate)
        {
            _told[(news.VirtualService, news.Host)] = news;
            _posted[(news.VirtualService, news.Reason, news.Message)] = posted;
        }
    }

    /// <summary>What Canal's Events already say, so that a restart repeats none of it: the newest Event per VirtualService and host.</summary>
    private async Task ReadBack(CancellationToken cancellationToken)
    {
        var newest = new Dictionary<(ObjectKey, string), DateTime>();
        string? next = null;
        try
        {
            do
            {
                var page = await _client.CoreV1.ListEventForAllNamespacesAsync(fieldSelector: $"source={CanalEvent.Component}", continueParameter: next, limit: 500, cancellationToken: cancellationToken);
                foreach (var e in page.Items.Where(e => e.InvolvedObject != null && e.Metadata?.Name != null))
                {
                    if (EventSubject.ClaimerOf(e.InvolvedObject, e.Metadata.NamespaceProperty) is not { } vs)
                        continue;
                    var host = e.Metadata.Annotations != null && e.Metadata.Annotations.TryGetValue(HostAnnotation, out var h) ? h : "";
                    var news = new News(vs, host, e.Type ?? "", e.Reason ?? "", e.Message ?? "");
                    var at = e.LastTimestamp ?? e.FirstTimestamp ?? e.Metadata.CreationTimestamp ?? DateTime.MinValue;
                    lock (_gate)
                    {
                        _posted[(vs, news.Reason, news.Message)] = new PostedEvent(e.Metadata.Name, e.Count ?? 1);
                        if (!newest.TryGetValue((vs, host), out var seen) || at >= seen)
                        {
                            newest[(vs, host)] = at;
                            _told[(vs, host)] = news;
                        }
                    }
                }
                next = string.IsNullOrEmpty(page.Metadata?.ContinueProperty) ? null : page.Metadata.ContinueProperty;
            }
            while (next != null);
            lock (_gate)
                _readBackDone = true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Without them Canal may repeat an Event once; it still posts what changes.
            if (!ApiRefusals.IsRefusal(e))
                _logger.LogWarning("the Events Canal posted before could not be read ({Error}); outcomes unchanged since then may be posted again", e.Message);
        }
    }

    private void Failed(Exception e)
    {
        CanalMetrics.EventFailures.Add(1);
        if (ApiRefusals.IsRefusal(e) || _failedBefore)
            return;
        _failedBefore = true;
        _logger.LogWarning("posting an Event failed ({Error}); further failures are counted in canal_events_failed_total", e.Message);
    }
}
