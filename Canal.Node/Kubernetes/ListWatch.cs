using Canal.Node.Management;
using Canal.Pacing;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// One resource kept in sync the way Kubernetes controllers do: list (paged), then watch from the list's
/// resourceVersion with bookmarks. A dropped watch resumes from the last resourceVersion seen, after a
/// backoff; 410 Gone (the server compacted past it) re-lists; a periodic re-list heals anything missed.
/// </summary>
internal sealed class ListWatch<T>(
    string what,
    ListWatch<T>.ListPage list,
    ListWatch<T>.WatchFrom watch,
    Func<T, string?> resourceVersionOf,
    TimeSpan resync,
    ILogger logger)
{
    public delegate Task<(IReadOnlyList<T> Items, string ResourceVersion, string? Continue)> ListPage(string? continueToken, CancellationToken cancellationToken);

    /// <summary>KubernetesClient reports a watch's ERROR event (such as 410 Gone) through <paramref name="onError"/> and then just ends.</summary>
    public delegate IAsyncEnumerable<(WatchEventType Type, T Object)> WatchFrom(string resourceVersion, Action<Exception> onError, CancellationToken cancellationToken);

    public const int PageSize = 500;


    public async Task Run(Action<IReadOnlyList<T>> onListed, Action<WatchEventType, T> onEvent, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), Random.Shared);
        while (!cancellationToken.IsCancellationRequested)
        {
            string resourceVersion;
            try
            {
                (var items, resourceVersion) = await ListAll(cancellationToken);
                onListed(items);
                backoff.Reset();
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (!ApiRefusals.IsRefusal(e))
                    logger.LogWarning("listing {What} failed ({Error}); retrying", what, Describe(e));
                await Task.Delay(backoff.Next(), cancellationToken);
                continue;
            }

            // The re-list is due on its own timer: on a quiet cluster no event arrives to notice it.
            using var relist = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            relist.CancelAfter(resync);
            while (!relist.IsCancellationRequested)
            {
                try
                {
                    Exception? reported = null;
                    await foreach (var (type, obj) in watch(resourceVersion, e => reported ??= e, relist.Token))
                    {
                        resourceVersion = resourceVersionOf(obj) ?? resourceVersion;
                        if (type != WatchEventType.Bookmark)
                            onEvent(type, obj);
                        backoff.Reset();
                    }
                    if (reported != null && !IsQuietEnd(reported))
                        throw reported;
                }
                catch (Exception) when (relist.IsCancellationRequested)
                {
                    // Stopping, or the re-list is due: however the cancelled watch ended.
                }
                catch (Exception e) when (IsQuietEnd(e))
                {
                    // The server closed a watch that had nothing to say (its timeout): open it again.
                }
                catch (Exception e) when (IsGone(e))
                {
                    CanalMetrics.WatchRestarts.Add(1);
                    logger.LogInformation("watch of {What} expired (410 Gone); listing again", what);
                    break;
                }
                catch (Exception e) when (!relist.IsCancellationRequested)
                {
                    CanalMetrics.WatchRestarts.Add(1);
                    if (!ApiRefusals.IsRefusal(e))
                        logger.LogWarning("watch of {What} failed ({Error}); resuming from resourceVersion {ResourceVersion}", what, Describe(e), resourceVersion);
                    await Task.Delay(backoff.Next(), cancellationToken);
                }
            }
        }
    }

    private async Task<(IReadOnlyList<T>, string)> ListAll(CancellationToken cancellationToken)
    {
        var all = new List<T>();
        string? next = null;
        string resourceVersion;
        do
        {
            var page = await list(next, cancellationToken);
            all.AddRange(page.Items);
            resourceVersion = page.ResourceVersion;
            next = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
        }
        while (next != null);
        return (all, resourceVersion);
    }

    /// <summary>KubernetesClient throws this for a watch that ends before its first line, which servers do on timeout.</summary>
    private static bool IsQuietEnd(Exception e) =>
        e is HttpRequestException { InnerException: EndOfStreamException } or EndOfStreamException;

    private static bool IsGone(Exception e) => e switch
    {
        KubernetesException k => k.Status?.Code == 410,
        HttpOperationException h => (int)h.Response.StatusCode == 410,
        _ => false,
    };

    private static string Describe(Exception e) => e switch
    {
        HttpOperationException h => $"HTTP {(int)h.Response.StatusCode}: {h.Response.Content}",
        KubernetesException k => $"{k.Status?.Code} {k.Status?.Reason}: {k.Status?.Message}",
        _ => e.Message,
    };

}
