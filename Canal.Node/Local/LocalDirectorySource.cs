using Canal.Istio;
using Canal.Reading;
using Canal.Mapping;
using Canal.Pacing;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Local;

/// <summary>
/// Local mode's objects: a directory of manifests, watched (and rescanned every 10 s, since file events can
/// be lost). A file that stops parsing keeps its last good objects, so a typo never withdraws redirects.
/// The Corefile is watched too, so an edit of Canal's section is put back.
/// </summary>
internal sealed class LocalDirectorySource(string directory, string corefile, ILogger logger) : IObjectSource
{
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Rescan = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Manifests> _lastGood = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _resources = [];
    private SettlingTimer? _settle;

    public void Start(Action<SourceView> onView, Action onStoreChanged)
    {
        Directory.CreateDirectory(directory);
        // Files written in one go settle into one scan; a steady stream of writes cannot postpone it.
        _settle = new SettlingTimer(SettleTime, SettleTime, () =>
        {
            // A timer callback that throws would take the process down: report and wait for the next scan.
            try
            {
                onView(Scan());
            }
            catch (Exception e)
            {
                logger.LogError(e, "reading {Directory} failed; trying again at the next change or rescan", directory);
            }
        }, TimeProvider.System);
        var manifests = Watch(directory, "*", _ => _settle.Changed());
        manifests.IncludeSubdirectories = true;
        var corefileDirectory = Path.GetDirectoryName(Path.GetFullPath(corefile))!;
        Directory.CreateDirectory(corefileDirectory);
        Watch(corefileDirectory, Path.GetFileName(corefile), _ => onStoreChanged());
        _resources.Add(new Timer(_ => _settle.Changed(), null, TimeSpan.Zero, Rescan));
    }

    public void Dispose()
    {
        foreach (var resource in _resources)
            resource.Dispose();
        _settle?.Dispose();
    }

    private FileSystemWatcher Watch(string path, string filter, Action<FileSystemEventArgs?> changed)
    {
        var watcher = new FileSystemWatcher(path, filter);
        watcher.Changed += (_, e) => changed(e);
        watcher.Created += (_, e) => changed(e);
        watcher.Deleted += (_, e) => changed(e);
        watcher.Renamed += (_, e) => changed(e);
        watcher.Error += (_, _) => changed(null);
        watcher.EnableRaisingEvents = true;
        _resources.Add(watcher);
        return watcher;
    }

    private SourceView Scan()
    {
        lock (_lock)
        {
            var result = Manifests.Empty;
            var complete = true;
            var files = ManifestDirectory.ReadFiles(directory);
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
                    logger.LogError("{Errors} (keeping the last good version of {File})", errors, source);
                _reported[source] = errors;
                complete &= _lastGood.ContainsKey(source);
                result = result.Concat(_lastGood.TryGetValue(source, out var good) ? good : manifests with { Errors = [] });
            }
            foreach (var gone in _lastGood.Keys.Where(k => files.All(f => f.Source != k)).ToList())
                _lastGood.Remove(gone);
            return new SourceView(result.VirtualServices, result.Gateways, result.Services, complete) { GatewayApi = result.GatewayApi };
        }
    }
}
