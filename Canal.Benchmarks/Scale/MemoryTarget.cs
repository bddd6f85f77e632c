using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;
using Canal.Node.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Canal.Benchmarks.Scale;

/// <summary>
/// The pipeline alone, in this process: a Canal node (shard regions, singletons, SQLite journal) fed by an
/// in-memory source and writing an in-memory store with a ConfigMap's size limit. No HTTP, no JSON on the wire.
/// </summary>
internal sealed class MemoryTarget : ICanalTarget
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-bench-");
    private readonly MemorySource _source = new();
    private readonly MemoryStore _store;
    private IHost? _host;
    private long _resourceVersion;
    private TaskCompletionSource<long> _barrier = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<(TimeSpan, TimeSpan)> _sync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<long> _firstCheck = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MemoryTarget() => _store = new MemoryStore(Workload.Corefile, Writes);

    public string Name => "memory";

    public CorefileWrites Writes { get; } = new();

    public void Seed(Workload workload, IEnumerable<(string Namespace, string Name)> extraServices)
    {
        foreach (var obj in Workload.GatewayJson().Where(o => (string?)o["kind"] != "EndpointSlice"))
        {
            if ((string?)obj["kind"] == "Gateway")
                _source.Put(ManifestDecoder.DecodeGateway(Workload.Element(obj)));
            else
                _source.Put(ManifestDecoder.DecodeService(Workload.Element(obj)) with { ReadyEndpoints = 1 });
        }
        foreach (var (ns, name) in workload.Services().Concat(extraServices))
            _source.Put(ManifestDecoder.DecodeService(Workload.Element(Workload.ServiceJson(ns, name))));
        foreach (var vs in workload.VirtualServices)
            _source.Put(Decode(vs));
    }

    public async Task<long> Start()
    {
        _barrier = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _sync = new TaskCompletionSource<(TimeSpan, TimeSpan)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _firstCheck = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        ProcessMemory.ResetPeak();
        var options = new CanalNodeOptions { Data = Path.Combine(_temp.FullName, "data") };
        var settings = CanalAkka.WriterSettings(options);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAkka(CanalAkka.SystemName, (akka, _) => akka.WithCanal(options, settings, _store, () => _source,
            start: system => system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new NoticeWatch(_barrier, _sync, _firstCheck))), typeof(DnsWriterNotice))));
        var at = Stopwatch.GetTimestamp();
        _host = builder.Build();
        await _host.StartAsync();
        return at;
    }

    public async Task<long> SyncBarrierPassed(TimeSpan timeout) => await _barrier.Task.WaitAsync(timeout);

    public (TimeSpan Listing, TimeSpan Sweep) LastSync => _sync.Task.IsCompletedSuccessfully ? _sync.Task.Result : default;

    public Task<TimeSpan?> ListingAlone() => Task.FromResult<TimeSpan?>(null);

    public async Task<long> FirstCheck(TimeSpan timeout) => await _firstCheck.Task.WaitAsync(timeout);

    /// <summary>The in-memory store has no CoreDNS behind it.</summary>
    public Task<long?> Live(string host, bool added, TimeSpan timeout) => Task.FromResult<long?>(null);

    public async Task Stop()
    {
        if (_host == null)
            return;
        await _host.StopAsync();
        _host.Dispose();
        _host = null;
    }

    public long Create(VirtualServiceSpec vs)
    {
        _source.Put(Decode(vs));
        return Stopwatch.GetTimestamp();
    }

    public long Delete(VirtualServiceSpec vs)
    {
        _source.Remove(new ObjectKey(vs.Namespace, vs.Name));
        return Stopwatch.GetTimestamp();
    }

    /// <summary>The harness's process: the workload's and the target's own work are in it too.</summary>
    public TimeSpan CpuTime() => Process.GetCurrentProcess().TotalProcessorTime;

    public Task<(long PeakWorkingSet, long ManagedHeap)> Memory() =>
        Task.FromResult((ProcessMemory.PeakWorkingSet(Environment.ProcessId), GC.GetGCMemoryInfo().HeapSizeBytes));

    public async ValueTask DisposeAsync()
    {
        await Stop();
        _temp.Delete(recursive: true);
    }

    private VirtualService Decode(VirtualServiceSpec vs)
    {
        var json = Workload.VirtualServiceJson(vs);
        json["metadata"]!["resourceVersion"] = Interlocked.Increment(ref _resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ManifestDecoder.DecodeVirtualService(Workload.Element(json));
    }

    private sealed class NoticeWatch : ReceiveActor
    {
        public NoticeWatch(TaskCompletionSource<long> barrier, TaskCompletionSource<(TimeSpan, TimeSpan)> sync, TaskCompletionSource<long> firstCheck)
        {
            Receive<SyncBarrierPassed>(n =>
            {
                barrier.TrySetResult(Stopwatch.GetTimestamp());
                sync.TrySetResult((n.Listing, n.Sweep));
            });
            Receive<CorefileUpToDate>(_ => firstCheck.TrySetResult(Stopwatch.GetTimestamp()));
            Receive<CorefileWritten>(_ => firstCheck.TrySetResult(Stopwatch.GetTimestamp()));
            ReceiveAny(_ => { });
        }
    }

    /// <summary>Publishes the whole view on every change, and which VirtualServices changed, as the Kubernetes source does after its watches report one.</summary>
    private sealed class MemorySource : IObjectSource
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<ObjectKey, VirtualService> _virtualServices = [];
        private readonly Dictionary<ObjectKey, Gateway> _gateways = [];
        private readonly Dictionary<ObjectKey, ClusterService> _services = [];
        private Dictionary<ObjectKey, VirtualService?>? _changed;
        private Action<SourceView>? _onView;

        public void Start(Action<SourceView> onView, Action onStoreChanged)
        {
            lock (_gate)
                _onView = onView;
            Publish();
        }

        public void Put(VirtualService vs) => Change(() =>
        {
            _virtualServices[vs.Key] = vs;
            _changed?[vs.Key] = vs;
        });

        public void Put(Gateway gateway) => Change(() => _gateways[gateway.Key] = gateway);

        public void Put(ClusterService service) => Change(() => _services[service.Key] = service);

        public void Remove(ObjectKey vs) => Change(() =>
        {
            _virtualServices.Remove(vs);
            _changed?[vs] = null;
        });

        public void Dispose()
        {
            lock (_gate)
                _onView = null;
        }

        private void Change(Action change)
        {
            lock (_gate)
                change();
            Publish();
        }

        private void Publish()
        {
            lock (_gate)
            {
                if (_onView == null)
                    return;
                _onView(new SourceView([.. _virtualServices.Values], [.. _gateways.Values], [.. _services.Values]) { ChangedVirtualServices = _changed });
                _changed = [];
            }
        }
    }

    /// <summary>A ConfigMap's Corefile key held in memory: versioned, conditional writes, the 1 MiB limit.</summary>
    private sealed class MemoryStore(string original, CorefileWrites writes) : IDnsConfigStore
    {
        private readonly Lock _gate = new();
        private string _content = original;
        private long _version = 1;

        public string Description => "memory";

        public Task<DnsConfig> ReadAsync(CancellationToken cancellationToken)
        {
            lock (_gate)
                return Task.FromResult(new DnsConfig(_content, _version.ToString(System.Globalization.CultureInfo.InvariantCulture)) { Capacity = Workload.CorefileCapacity });
        }

        public Task<DnsWriteResult> WriteAsync(string content, string expectedVersion, long fence, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (expectedVersion != _version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    return Task.FromResult<DnsWriteResult>(new DnsWriteResult.Conflict("moved"));
                _content = content;
                _version++;
                writes.Add(Stopwatch.GetTimestamp(), () => content);
                return Task.FromResult<DnsWriteResult>(new DnsWriteResult.Written(_version.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        public Task<(bool Restored, string Message)> RestoreBackupAsync(CancellationToken cancellationToken) =>
            Task.FromResult((false, "the benchmark store keeps no backup"));
    }
}
