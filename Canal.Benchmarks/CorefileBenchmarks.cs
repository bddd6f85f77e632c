using BenchmarkDotNet.Attributes;
using Canal.Dns;
using Canal.Istio;

namespace Canal.Benchmarks;

/// <summary>Parse, edit and re-validate a Corefile whose Canal section already holds N redirects (a line each).</summary>
[MemoryDiagnoser]
public class CorefileBenchmarks
{
    private const string Kubeadm = """
        .:53 {
            errors
            health
            kubernetes cluster.local in-addr.arpa ip6.arpa {
               pods insecure
               fallthrough in-addr.arpa ip6.arpa
            }
            forward . /etc/resolv.conf
            cache 30
        }

        """;

    private string _corefile = "";
    private RedirectPlan _plan = new([], []);

    [Params(1_000, 10_000, 50_000)]
    public int Redirects { get; set; }

    [Params(DnsMode.Rewrite, DnsMode.Hosts)]
    public DnsMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _plan = new RedirectPlan(
            [.. Enumerable.Range(0, Redirects).Select(i => new Redirect($"svc-{i}.ns-{i % 100}.svc.cluster.local", "canal.istio-system.svc.cluster.local", ["10.96.0.100"]))],
            []);
        _corefile = CorefileUpdate.Apply(Kubeadm, _plan, Mode, "cluster.local").Text;
    }

    [Benchmark]
    public string ReRender() => CorefileUpdate.Apply(_corefile, _plan, Mode, "cluster.local").Text;
}
