using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;

namespace Canal.Benchmarks.Scale;

/// <summary>The real <c>canal run</c> process against the Kubernetes API emulator, over HTTP as in a cluster.</summary>
internal sealed class EmulatorTarget : ICanalTarget
{
    private readonly KubeApiServer _api;
    private readonly DirectoryInfo _temp;
    private readonly string _kubeconfig;
    private readonly int _managementPort = Ports.Free();
    private readonly ConcurrentQueue<(long At, string Line)> _lines = new();
    private readonly List<DnsResponder> _coreDns = [];
    private readonly KubeletModel? _kubelet;
    private readonly TimeSpan _kubeletPeriod;
    private readonly bool _nudge;
    private Process? _canal;
    private long _peakWorkingSet;

    private EmulatorTarget(KubeApiServer api, TimeSpan? kubeletPeriod, bool nudge)
    {
        _api = api;
        _kubelet = kubeletPeriod is { } period ? new KubeletModel(api, period) : null;
        (_kubeletPeriod, _nudge) = (kubeletPeriod ?? TimeSpan.Zero, nudge);
        _temp = Directory.CreateTempSubdirectory("canal-bench-");
        _kubeconfig = Path.Combine(_temp.FullName, "kubeconfig");
        api.WriteKubeconfig(_kubeconfig);
        api.Observe(e =>
        {
            if (e.ResourceType.Resource == "configmaps" && e.Namespace == "kube-system" && e.Type == "MODIFIED" && e.Object.Contains("\"name\":\"coredns\""))
            {
                var json = e.Object;
                Writes.Add(Stopwatch.GetTimestamp(), () => (string?)JsonNode.Parse(json)?["data"]?["Corefile"] ?? "");
            }
        });
    }

    public string Name => _kubelet == null ? "emulator" : $"emulator, kubelet {_kubeletPeriod.TotalSeconds:0} s{(_nudge ? ", nudge" : "")}";

    public CorefileWrites Writes { get; } = new();

    public static async Task<EmulatorTarget> Create(TimeSpan? kubeletPeriod = null, bool nudge = false) =>
        // Two revisions per object: the baseline rewrites the ConfigMap thousands of times.
        new(await KubeApiServer.StartAsync(new KubeApiOptions { RevisionsKept = 2, WatchHistory = 20_000 }), kubeletPeriod, nudge);

    public void Seed(Workload workload, IEnumerable<(string Namespace, string Name)> extraServices)
    {
        _api.Apply(Workload.CoreDnsJson());
        // Two CoreDNS replicas behind kube-dns that serve the ConfigMap as it is now (an instant reload), as Canal
        // finds them in a cluster: what it takes to confirm a write is then Canal's own part of the propagation.
        var services = new Dictionary<string, string> { [$"canal.{Workload.GatewayNamespace}.svc.cluster.local"] = Workload.GatewayIp };
        foreach (var (address, i) in new[] { "127.0.0.1", "127.0.0.2" }.Select((a, i) => (a, i)))
            _coreDns.Add(DnsResponder.Serving(DnsResponder.Start(address),
                _kubelet?.Mount($"coredns-{i}") ?? _api.Corefile, services));
        for (var i = 0; i < _coreDns.Count; i++)
            _api.Apply(_coreDns[i].KubeDnsSlice($"kube-dns-{i}", $"coredns-{i}"));
        foreach (var obj in Workload.GatewayJson())
            _api.Apply(obj);
        for (var i = 0; i < Workload.Namespaces; i++)
            _api.Apply(Workload.NamespaceJson(Workload.Namespace(i)));
        foreach (var (ns, name) in workload.Services().Concat(extraServices))
            _api.Apply(Workload.ServiceJson(ns, name));
        foreach (var vs in workload.VirtualServices)
            _api.Apply(Workload.VirtualServiceJson(vs));
    }

    public Task<long> Start()
    {
        _lines.Clear();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "canal.dll"), "run", "--kubeconfig", _kubeconfig,
                     "--data", Path.Combine(_temp.FullName, "data"), "--management-port", _managementPort.ToString(CultureInfo.InvariantCulture),
                 }.Concat(_nudge ? ["--nudge-coredns-pods"] : []))
            start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        var at = Stopwatch.GetTimestamp();
        _canal = Process.Start(start)!;
        _canal.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue((Stopwatch.GetTimestamp(), e.Data)); };
        _canal.ErrorDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue((Stopwatch.GetTimestamp(), e.Data)); };
        _canal.BeginOutputReadLine();
        _canal.BeginErrorReadLine();
        _peakWorkingSet = 0;
        return Task.FromResult(at);
    }

    /// <summary>One more canal node on this emulator (a replica set's), with <paramref name="args"/> after <c>run --kubeconfig</c>.</summary>
    public CanalProcess StartNode(IReadOnlyList<string> args) =>
        CanalProcess.Start(_temp.FullName, ["run", "--kubeconfig", _kubeconfig, .. args]);

    public Task<long> SyncBarrierPassed(TimeSpan timeout) =>
        WaitForLine(l => l.Contains("sync barrier passed", StringComparison.Ordinal), "the sync barrier to pass", timeout);

    public (TimeSpan Listing, TimeSpan Sweep) LastSync
    {
        get
        {
            var line = _lines.LastOrDefault(l => l.Line.Contains("sync barrier passed", StringComparison.Ordinal)).Line ?? "";
            var match = System.Text.RegularExpressions.Regex.Match(line, @"listing ([\d.]+) s, sweep ([\d.]+) s");
            return match.Success
                ? (TimeSpan.FromSeconds(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)), TimeSpan.FromSeconds(double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)))
                : default;
        }
    }

    public async Task<TimeSpan?> ListingAlone() => await ListingFloor.Measure(_kubeconfig);

    public Task<long> FirstCheck(TimeSpan timeout) =>
        WaitForLine(l => l.Contains(" is up to date: ", StringComparison.Ordinal) || l.Contains("write #", StringComparison.Ordinal), "the first check of the ConfigMap", timeout);

    public async Task<long?> Live(string host, bool added, TimeSpan timeout)
    {
        var change = $"{(added ? "added" : "removed")} {host}";
        var written = await Until(() => _lines.LastOrDefault(l => l.Line.Contains(change, StringComparison.Ordinal)).Line is { } line
            ? long.Parse(System.Text.RegularExpressions.Regex.Match(line, @"write #(\d+) to ").Groups[1].Value, CultureInfo.InvariantCulture)
            : null, $"the write that {change}", timeout);
        return await WaitForLine(l => l.Contains($"write #{written} is live on ", StringComparison.Ordinal), $"write #{written} to be live", timeout);
    }

    private Task<long> WaitForLine(Func<string, bool> match, string what, TimeSpan timeout) =>
        Until(() => _lines.FirstOrDefault(l => match(l.Line)) is { Line: not null } line ? line.At : null, what, timeout);

    /// <summary>The moment <paramref name="found"/> gives (polled), failing when canal exits or the timeout passes.</summary>
    private async Task<long> Until(Func<long?> found, string what, TimeSpan timeout, TimeSpan? every = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (found() is { } at)
                return at;
            if (_canal is { HasExited: true })
                throw new InvalidOperationException($"canal exited with {_canal.ExitCode}:\n{Output()}");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(5));
        }
        throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}; canal said:\n{Output()}");
    }

    public async Task Stop()
    {
        if (_canal == null)
            return;
        SamplePeak();
        if (!_canal.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _canal.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _canal.WaitForExitAsync(timeout.Token);
        _canal.Dispose();
        _canal = null;
    }

    /// <summary>Events created and counted up (each a request that changed what Events say) so far.</summary>
    public int EventRequests() =>
        _api.RequestLog.Count(r => r.Resource == "events" && r.StatusCode is 200 or 201 && r.Verb is "create" or "patch");

    /// <summary>The moment at least <paramref name="count"/> Event requests were seen.</summary>
    public Task<long> EventsPosted(int count, TimeSpan timeout) =>
        // Every 50 ms, not 5: each look counts the emulator's whole request log.
        Until(() => EventRequests() >= count ? Stopwatch.GetTimestamp() : null, $"{count} Events", timeout, TimeSpan.FromMilliseconds(50));

    public long Create(VirtualServiceSpec vs)
    {
        _api.Apply(Workload.VirtualServiceJson(vs));
        return Stopwatch.GetTimestamp();
    }

    public long Delete(VirtualServiceSpec vs)
    {
        _api.Delete("networking.istio.io", "virtualservices", vs.Namespace, vs.Name);
        return Stopwatch.GetTimestamp();
    }

    public TimeSpan CpuTime()
    {
        _canal!.Refresh();
        return _canal.TotalProcessorTime;
    }

    public async Task<(long PeakWorkingSet, long ManagedHeap)> Memory()
    {
        SamplePeak();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{_managementPort}/metrics");
        var heap = PrometheusText.Value(metrics, "dotnet_gc_heap_bytes") ?? throw new InvalidOperationException("/metrics has no dotnet_gc_heap_bytes");
        return (_peakWorkingSet, (long)heap);
    }

    public string Output() => string.Join('\n', _lines.Select(l => l.Line));

    public async ValueTask DisposeAsync()
    {
        if (_canal is { HasExited: false })
            _canal.Kill(entireProcessTree: true);
        _canal?.Dispose();
        await _api.DisposeAsync();
        _kubelet?.Dispose();
        foreach (var replica in _coreDns)
            replica.Dispose();
        _temp.Delete(recursive: true);
    }

    /// <summary>The kernel keeps the peak resident size (VmHWM) while the process lives.</summary>
    private void SamplePeak()
    {
        if (_canal is { HasExited: false })
            _peakWorkingSet = Math.Max(_peakWorkingSet, ProcessMemory.PeakWorkingSet(_canal.Id));
    }
}
