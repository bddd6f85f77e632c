using Canal.Dns;
using Canal.Istio;
using Canal.Propagation;

namespace Canal.DnsWriter;

/// <summary>How the DnsWriter renders and paces its writes.</summary>
public sealed record DnsWriterSettings
{
    public DnsMode Mode { get; init; } = DnsMode.Auto;
    public RedirectOptions Redirects { get; init; } = new();

    /// <summary>Quiet time after a change before writing, so a burst becomes one write.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest a change waits under a continuous stream of changes.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMin { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the store is re-read to put back a section someone edited or removed.</summary>
    public TimeSpan DriftCheck { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a canal gateway may have no ready endpoints before its redirects are withdrawn (fail open).</summary>
    public TimeSpan ReadinessGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the sweep waits for a namespace or VirtualService entity before starting the sync over:
    /// short, since a message can be lost while shards move between nodes.</summary>
    public TimeSpan SweepAskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How each write is confirmed in CoreDNS, when the DnsWriter is given its replicas.</summary>
    public PropagationSettings Propagation { get; init; } = new();
}
