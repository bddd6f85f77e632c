using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// Faults a test injects into the running emulator, to see a client survive what real clusters do to it. Every
/// setting can change at any time from any thread; <see cref="Reset"/> clears them all.
/// </summary>
public sealed class Faults : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Action _dropWatches;
    private readonly List<FailureRule> _failures = [];
    private readonly HashSet<string> _expireNextWatch = [];
    private readonly List<(ObjectRef Target, double Fraction)> _conflicts = [];
    private readonly List<UpdateHook> _hooks = [];
    private TimeSpan _delay;
    private Timer? _dropTimer;
    private TimeSpan? _dropEvery;
    private Startup _starting;

    internal Faults(Action dropWatches) => _dropWatches = dropWatches;

    private sealed record FailureRule(double Fraction, int StatusCode, string? Verb, string? Resource);

    private sealed record UpdateHook(ObjectRef Target, Func<JsonObject, JsonObject, JsonObject?> Edit);

    /// <summary>Added before every API request is answered (watches: before their first event).</summary>
    public TimeSpan Delay
    {
        get { lock (_gate) return _delay; }
        set { lock (_gate) _delay = value; }
    }

    /// <summary>Closes the connection of every open watch now, as an API server restart or a load balancer does.</summary>
    public void DropWatches() => _dropWatches();

    /// <summary>Drops every open watch at this interval (null: never).</summary>
    public TimeSpan? DropWatchesEvery
    {
        get { lock (_gate) return _dropEvery; }
        set
        {
            lock (_gate)
            {
                _dropEvery = value;
                _dropTimer?.Dispose();
                _dropTimer = value is { } every ? new Timer(_ => _dropWatches(), null, every, every) : null;
            }
        }
    }

    /// <summary>
    /// Answers this fraction of requests with <paramref name="statusCode"/>: 500 (an InternalError Status), 429
    /// (the flow-control filter's plain-text answer with Retry-After: 1), 403 (RBAC's Forbidden, naming the user,
    /// verb and resource as the real server does) or 401 (Unauthorized), optionally only for one RBAC verb
    /// (get, list, watch, create, update, patch, delete) and/or one resource (plural, e.g. "configmaps").
    /// </summary>
    public void FailRequests(double fraction, int statusCode, string? verb = null, string? resource = null)
    {
        if (statusCode is not (500 or 429 or 403 or 401))
            throw new ArgumentOutOfRangeException(nameof(statusCode), "500, 429, 403 or 401");
        lock (_gate)
            _failures.Add(new FailureRule(fraction, statusCode, verb, resource));
    }

    public void StopFailingRequests()
    {
        lock (_gate)
            _failures.Clear();
    }

    /// <summary>
    /// Answers every request as a real API server does while it restarts: <see cref="Startup.Storage"/> is its 429
    /// "storage is (re)initializing", <see cref="Startup.Rbac"/> its 403 while the RBAC cache is not loaded yet
    /// ("clusterrole … not found"), <see cref="Startup.Ready"/> answers normally.
    /// </summary>
    public Startup Starting
    {
        get { lock (_gate) return _starting; }
        set { lock (_gate) _starting = value; }
    }

    /// <summary>The next watch of this resource that names a resourceVersion gets 410 Expired, as after a compaction.</summary>
    public void ExpireNextWatch(string resource)
    {
        lock (_gate)
            _expireNextWatch.Add(resource);
    }

    /// <summary>Answers this fraction of updates and patches of one object with 409 Conflict, writing nothing.</summary>
    public void ConflictUpdates(ObjectRef target, double fraction)
    {
        lock (_gate)
            _conflicts.Add((target, fraction));
    }

    /// <summary>
    /// Lets a test act as a concurrent editor: just before an update or patch of <paramref name="target"/> is applied,
    /// <paramref name="edit"/> gets the stored object and the incoming one; the object it returns (if any) is stored
    /// first, as another client's write, so an update based on the old resourceVersion becomes a 409 Conflict.
    /// Dispose the result to remove the hook.
    /// </summary>
    public IDisposable BeforeUpdate(ObjectRef target, Func<JsonObject, JsonObject, JsonObject?> edit)
    {
        var hook = new UpdateHook(target, edit);
        lock (_gate)
            _hooks.Add(hook);
        return new Removal(() => { lock (_gate) _hooks.Remove(hook); });
    }

    public void Reset()
    {
        lock (_gate)
        {
            _failures.Clear();
            _expireNextWatch.Clear();
            _conflicts.Clear();
            _hooks.Clear();
            _delay = TimeSpan.Zero;
        }
        DropWatchesEvery = null;
    }

    public void Dispose() => DropWatchesEvery = null;

    internal int? FailureFor(string verb, string resource)
    {
        lock (_gate)
        {
            if (_starting != Startup.Ready)
                return _starting == Startup.Storage ? StartingStorage : StartingRbac;
            return _failures.FirstOrDefault(f =>
                (f.Verb == null || f.Verb == verb) && (f.Resource == null || f.Resource == resource) && Random.Shared.NextDouble() < f.Fraction)?.StatusCode;
        }
    }

    internal bool TakeExpiredWatch(string resource)
    {
        lock (_gate)
            return _expireNextWatch.Remove(resource);
    }

    internal bool ForceConflict(ObjectRef target)
    {
        lock (_gate)
            return _conflicts.Any(c => c.Target == target && Random.Shared.NextDouble() < c.Fraction);
    }

    internal IReadOnlyList<Func<JsonObject, JsonObject, JsonObject?>> HooksFor(ObjectRef target)
    {
        lock (_gate)
            return [.. _hooks.Where(h => h.Target == target).Select(h => h.Edit)];
    }

    /// <summary>Status codes of their own for the start-up answers (a real one is 429 or 403 on the wire).</summary>
    internal const int StartingStorage = 4290;
    internal const int StartingRbac = 4030;

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}

/// <summary>Where a restarting API server is: see <see cref="Faults.Starting"/>.</summary>
public enum Startup { Ready, Storage, Rbac }
