using Canal.Istio;
using k8s;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// Kubernetes Events on VirtualServices, so <c>kubectl describe virtualservice</c> says what Canal did with each
/// host: Redirected (Normal), PartiallyRouted or SharedRoute (Warning: redirected, but the gateway carries only some of its
/// requests to it), Skipped or Blocked (Warning), Invalid (Warning). As controllers are meant to:
/// <list type="bullet">
/// <item>one Event per change of a host's outcome, never one per start: whenever a DnsWriter starts on this node
/// (<see cref="TookOver"/>: at start, after a fail-over, after a hand-back) the Events Canal posted earlier, from
/// any replica and any life, are read back before the next post, so a restart or fail-over with nothing changed posts nothing;</item>
/// <item>an outcome seen before on the same VirtualService counts up that Event (count, lastTimestamp) instead of a new one;</item>
/// <item>rate-limited per VirtualService (<see cref="PerObjectBurst"/>, then one per <see cref="PerObjectRefill"/>) and overall
/// (<see cref="OverallPerSecond"/> a second): news waits, only the latest outcome of a host is kept, and nothing is dropped.</item>
/// </list>
/// </summary>
internal sealed partial class VirtualServiceEvents : IDisposable
{
    public const string HostAnnotation = "canal.io/host";
    public const int PerObjectBurst = 10;
    public static readonly TimeSpan PerObjectRefill = TimeSpan.FromSeconds(30);
    public const int OverallPerSecond = 20;

    private readonly IKubernetes _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly TokenBucket _overall;
    private readonly object _gate = new();
    private readonly Dictionary<ObjectKey, TokenBucket> _perObject = [];
    // What each VirtualService's Events say now, per host ("" for the object itself), and the Event behind each text.
    private readonly Dictionary<(ObjectKey, string), News> _told = [];
    private readonly Dictionary<(ObjectKey, string Reason, string Message), PostedEvent> _posted = [];
    private readonly Dictionary<(ObjectKey, string), News> _pending = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private bool _failedBefore;

    /// <summary>The last plan's decisions by host, and how many of its hosts each VirtualService claims (PlanEvents' thread only).</summary>
    private Dictionary<string, HostDecision> _observed = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectKey, int> _hostsOf = [];
    private bool _readBackDue;
    private bool _readBackDone;

    public VirtualServiceEvents(IKubernetes client, ILogger logger, TimeProvider? clock = null)
    {
        _client = client;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _overall = new TokenBucket(OverallPerSecond, TimeSpan.FromSeconds(1.0 / OverallPerSecond), _clock);
    }

    /// <summary>Starts the posting loop (stopped by <see cref="Dispose"/>).</summary>
    public VirtualServiceEvents Start()
    {
        _ = Task.Run(Post);
        return this;
    }

    private sealed record News(ObjectKey VirtualService, string Host, string Type, string Reason, string Message);

    /// <summary>
    /// Every host whose outcome differs from what its VirtualService's Events say. Only decisions that are not the
    /// very ones of the last plan are looked at (the DnsWriter keeps an unchanged host's decision): a steady change
    /// in a 100k plan is a few, not 100k.
    /// </summary>
    public void Observe(RedirectPlan plan)
    {
        var observed = new Dictionary<string, HostDecision>(plan.Decisions.Count, StringComparer.Ordinal);
        var released = new List<ObjectKey>();
        foreach (var decision in plan.Decisions)
        {
            observed[decision.Host] = decision;
            if (_observed.Remove(decision.Host, out var before) && ReferenceEquals(before, decision))
                continue;
            if (before != null)
                Uncount(before, released);
            foreach (var claimer in decision.Claimers)
                _hostsOf[claimer] = _hostsOf.GetValueOrDefault(claimer) + 1;
            // A name redirected although the gateway carries only some of its requests to it is a warning: its clients notice.
            var (type, reason) = (decision.Status, decision.Coverage?.Kind) switch
            {
                (HostStatus.Redirected, CoverageKind.Partial) => ("Warning", "PartiallyRouted"),
                (HostStatus.Redirected, CoverageKind.Shared) => ("Warning", "SharedRoute"),
                (HostStatus.Redirected, _) => ("Normal", "Redirected"),
                (HostStatus.Blocked, _) => ("Warning", "Blocked"),
                _ => ("Warning", "Skipped"),
            };
            var message = reason is "PartiallyRouted" or "SharedRoute" ? $"{decision.Reason}; {decision.Coverage}" : decision.Reason;
            foreach (var claimer in decision.Claimers)
                Report(new News(claimer, decision.Host, type, reason, $"{HostName.Quote(decision.Host)}: {message}"));
        }
        // Hosts no longer in the plan.
        foreach (var before in _observed.Values)
            Uncount(before, released);
        _observed = observed;
        bool readBack;
        lock (_gate)
            (readBack, _readBackDone) = (_readBackDone, false);
        // What was read back may name VirtualServices gone since: the first plan after it checks everything told.
        Forget(readBack
            ? [.. VirtualServicesTold().Where(c => !_hostsOf.ContainsKey(c))]
            : [.. released.Where(c => !_hostsOf.ContainsKey(c))]);
    }

    /// <summary>Every VirtualService something is kept for: told, posted or rate-limited.</summary>
    private List<ObjectKey> VirtualServicesTold()
    {
        lock (_gate)
            return [.. _told.Keys.Select(k => k.Item1).Concat(_posted.Keys.Select(k => k.Item1)).Concat(_perObject.Keys).Distinct()];
    }

    private void Uncount(HostDecision decision, List<ObjectKey> released)
    {
        foreach (var claimer in decision.Claimers)
        {
            if (_hostsOf[claimer] > 1)
                _hostsOf[claimer]--;
            else
            {
                _hostsOf.Remove(claimer);
                released.Add(claimer);
            }
        }
    }

    /// <summary>
    /// A DnsWriter passed its sync barrier on this node: another replica (or this one's earlier life) may have posted
    /// since this one last looked, so what Canal's Events say is read back before anything more is posted.
    /// </summary>
    public void TookOver()
    {
        lock (_gate)
            _readBackDue = true;
        Wake();
    }

    public void Invalid(ManifestError error, ObjectKey virtualService) =>
        Report(new News(virtualService, "", "Warning", "Invalid", $"{error.Field}: {error.Message} (Canal keeps its last good version, if any)"));

    public void Dispose()
    {
        _stopping.Cancel();
        Wake();
    }

    /// <summary>
    /// What was told of VirtualServices that no plan names any more (deleted, or claiming nothing now) is dropped,
    /// so memory follows the VirtualServices that exist.
    /// </summary>
    private void Forget(HashSet<ObjectKey> gone)
    {
        if (gone.Count == 0)
            return;
        lock (_gate)
        {
            // A VirtualService with news still waiting keeps its bucket, or forgetting it would lift its rate limit.
            gone.ExceptWith(_pending.Keys.Select(k => k.Item1));
            foreach (var key in _told.Keys.Where(k => gone.Contains(k.Item1)).ToList())
                _told.Remove(key);
            foreach (var key in _posted.Keys.Where(k => gone.Contains(k.Item1)).ToList())
                _posted.Remove(key);
            foreach (var vs in gone)
                _perObject.Remove(vs);
        }
    }

    private void Report(News news)
    {
        news = news with { Message = news.Message.Length > 1000 ? news.Message[..1000] : news.Message };
        lock (_gate)
            _pending[(news.VirtualService, news.Host)] = news;
        Wake();
    }
}
