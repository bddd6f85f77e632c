using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;

namespace Canal.Node.Local;

/// <summary>
/// Local mode's source (a cluster singleton, like the Kubernetes watchers): a directory of manifests,
/// watched. On the DnsWriter's <see cref="SyncRequested"/> it delivers every VirtualService and answers
/// <see cref="SyncCompleted"/>; afterwards it delivers what changed. A file that stops parsing keeps
/// its last good objects, so a typo never withdraws redirects.
/// </summary>
internal sealed class LocalSource : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Rescan = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);
    private const int Parallelism = 64;

    private readonly string _directory;
    private readonly IActorRef _virtualServices;
    private readonly string _clusterDomain;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Manifests> _lastGood = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);
    private FileSystemWatcher? _watcher;

    private IActorRef? _dnsWriter;
    private long? _syncEpoch;
    private bool _synced;
    private bool _busy;
    private bool _scanQueued;
    private Dictionary<ObjectKey, string> _delivered = [];
    private Dictionary<ObjectKey, Gateway> _gateways = [];
    private Dictionary<ObjectKey, ClusterService> _services = [];

    public LocalSource(string directory, IActorRef virtualServices, string clusterDomain, TimeSpan askTimeout)
    {
        _directory = directory;
        _virtualServices = virtualServices;
        _clusterDomain = clusterDomain;
        _askTimeout = askTimeout;

        Receive<SyncRequested>(request =>
        {
            _dnsWriter = Sender;
            _syncEpoch = request.Epoch;
            _synced = false;
            Run();
        });
        Receive<FilesChanged>(_ => Timers.StartSingleTimer("settle", Scan.Instance, SettleTime));
        Receive<Scan>(_ =>
        {
            _scanQueued = true;
            Run();
        });
        Receive<Delivered>(OnDelivered);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string directory, IActorRef virtualServices, string clusterDomain, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new LocalSource(directory, virtualServices, clusterDomain, askTimeout));

    protected override void PreStart()
    {
        Directory.CreateDirectory(_directory);
        var self = Self;
        _watcher = new FileSystemWatcher(_directory) { IncludeSubdirectories = true, EnableRaisingEvents = true };
        _watcher.Changed += (_, _) => self.Tell(FilesChanged.Instance);
        _watcher.Created += (_, _) => self.Tell(FilesChanged.Instance);
        _watcher.Deleted += (_, _) => self.Tell(FilesChanged.Instance);
        _watcher.Renamed += (_, _) => self.Tell(FilesChanged.Instance);
        _watcher.Error += (_, _) => self.Tell(FilesChanged.Instance);
        // File events can be lost (overflow, network file systems): a slow rescan catches up.
        Timers.StartPeriodicTimer("rescan", Scan.Instance, Rescan);
    }

    protected override void PostStop() => _watcher?.Dispose();

    /// <summary>One delivery at a time: a sync if one is wanted, else the changes since the last delivery.</summary>
    private void Run()
    {
        if (_busy || _dnsWriter == null)
            return;
        var sync = !_synced;
        if (!sync && !_scanQueued)
            return;
        _scanQueued = false;
        _busy = true;

        var manifests = ReadDirectory();
        var inherited = Delegation.InheritedGateways(manifests.VirtualServices, _clusterDomain);
        var wanted = manifests.VirtualServices
            .GroupBy(v => v.Key).Select(g => g.Last())
            .ToDictionary(v => v.Key, v => new ObserveVirtualService(v, inherited.GetValueOrDefault(v.Key) ?? []));
        var fingerprints = wanted.ToDictionary(w => w.Key, w => JsonSerializer.Serialize(w.Value));
        var observe = wanted.Values.Where(w => sync || !_delivered.TryGetValue(w.Key, out var seen) || seen != fingerprints[w.Key]).ToList();
        var remove = _delivered.Keys.Where(k => !wanted.ContainsKey(k)).ToList();

        var gateways = manifests.Gateways.GroupBy(g => g.Key).ToDictionary(g => g.Key, g => g.Last());
        var services = manifests.Services.GroupBy(s => s.Key).ToDictionary(s => s.Key, s => s.Last());
        if (!sync)
            SendObjectChanges(gateways, services);
        _gateways = gateways;
        _services = services;

        var epoch = _syncEpoch;
        Deliver(observe, remove).PipeTo(Self, success: done => new Delivered(sync ? epoch : null, done, fingerprints, [.. wanted.Keys]));
    }

    private async Task<IReadOnlyList<(ObjectKey Key, bool Removed, Exception? Error)>> Deliver(List<ObserveVirtualService> observe, List<ObjectKey> remove)
    {
        var commands = observe.Cast<IVirtualServiceCommand>().Concat(remove.Select(k => new RemoveVirtualService(k))).ToList();
        var results = new (ObjectKey, bool, Exception?)[commands.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, commands.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, _) =>
        {
            var command = commands[i];
            try
            {
                await _virtualServices.Ask<VirtualServiceApplied>(command, _askTimeout);
                results[i] = (command.Key, command is RemoveVirtualService, null);
            }
            catch (Exception e)
            {
                results[i] = (command.Key, command is RemoveVirtualService, e);
            }
        });
        return results;
    }

    private void OnDelivered(Delivered delivered)
    {
        _busy = false;
        var failed = delivered.Results.Where(r => r.Error != null).ToList();
        foreach (var (key, removed, _) in delivered.Results.Where(r => r.Error == null))
        {
            if (removed)
                _delivered.Remove(key);
            else
                _delivered[key] = delivered.Fingerprints[key];
        }
        if (failed.Count > 0)
        {
            _log.Warning("{0} VirtualService changes not applied yet (first: {1}: {2}); retrying", failed.Count, failed[0].Key, failed[0].Error!.Message);
            // A failed sync stays wanted (_synced is still false), so the next run lists everything again.
            Timers.StartSingleTimer("retry", Scan.Instance, RetryAfter);
        }
        else if (delivered.SyncEpoch is { } epoch && epoch == _syncEpoch)
        {
            _synced = true;
            _dnsWriter!.Tell(new SyncCompleted(epoch, delivered.Listed, [.. _gateways.Values], [.. _services.Values]));
        }
        Run();
    }

    private void SendObjectChanges(Dictionary<ObjectKey, Gateway> gateways, Dictionary<ObjectKey, ClusterService> services)
    {
        foreach (var gateway in gateways.Values.Where(g => !_gateways.TryGetValue(g.Key, out var old) || !SameJson(old, g)))
            _dnsWriter!.Tell(new GatewayObserved(gateway));
        foreach (var key in _gateways.Keys.Where(k => !gateways.ContainsKey(k)))
            _dnsWriter!.Tell(new GatewayRemoved(key));
        foreach (var service in services.Values.Where(s => !_services.TryGetValue(s.Key, out var old) || !SameJson(old, s)))
            _dnsWriter!.Tell(new ServiceObserved(service));
        foreach (var key in _services.Keys.Where(k => !services.ContainsKey(k)))
            _dnsWriter!.Tell(new ServiceRemoved(key));
    }

    private Manifests ReadDirectory()
    {
        var result = Manifests.Empty;
        var files = ManifestDirectory.ReadFiles(_directory);
        foreach (var (source, manifests) in files)
        {
            if (manifests.Errors.Count == 0)
            {
                _reported.Remove(source);
                _lastGood[source] = manifests;
                result = result.Concat(manifests);
                continue;
            }
            var errors = string.Join("; ", manifests.Errors);
            if (_reported.GetValueOrDefault(source) != errors)
                _log.Error("{0} (keeping the last good version of {1})", errors, source);
            _reported[source] = errors;
            result = result.Concat(_lastGood.TryGetValue(source, out var good) ? good : manifests with { Errors = [] });
        }
        foreach (var gone in _lastGood.Keys.Where(k => files.All(f => f.Source != k)).ToList())
            _lastGood.Remove(gone);
        return result;
    }

    private static bool SameJson<T>(T a, T b) => JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);

    private sealed record FilesChanged
    {
        public static readonly FilesChanged Instance = new();
    }

    private sealed record Scan
    {
        public static readonly Scan Instance = new();
    }

    private sealed record Delivered(
        long? SyncEpoch,
        IReadOnlyList<(ObjectKey Key, bool Removed, Exception? Error)> Results,
        Dictionary<ObjectKey, string> Fingerprints,
        IReadOnlyList<ObjectKey> Listed);
}
