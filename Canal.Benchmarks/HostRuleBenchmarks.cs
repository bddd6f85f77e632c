using BenchmarkDotNet.Attributes;
using Canal.Benchmarks.Scale;
using Canal.Istio;

namespace Canal.Benchmarks;

/// <summary>Host-rule evaluation of one VirtualService: what its actor does on every change (extract its claims).</summary>
[MemoryDiagnoser]
public class HostRuleBenchmarks
{
    private static readonly RedirectOptions Options = new();
    private VirtualService _virtualService = null!;

    /// <summary>Destinations in the VirtualService: the workload's 1-3, and a large one.</summary>
    [Params(1, 3, 50)]
    public int Destinations { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _virtualService = ManifestDecoder.DecodeVirtualService(Workload.Element(Workload.VirtualServiceJson(
            new VirtualServiceSpec("team-007", "vs-00042", [.. Enumerable.Range(0, Destinations).Select(Workload.Service)]))));

    [Benchmark]
    public VirtualServiceClaims Extract() => VirtualServiceClaims.Extract(_virtualService, [], Options);
}
