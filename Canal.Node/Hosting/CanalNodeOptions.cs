using Canal.Dns;

namespace Canal.Node.Hosting;

/// <summary>
/// Settings of a Canal node, bound from the "Canal" configuration section: appsettings.json, then
/// environment variables (<c>Canal__Mode=hosts</c>), then command-line flags.
/// </summary>
internal sealed class CanalNodeOptions
{
    public string Manifests { get; set; } = "";
    public string Corefile { get; set; } = "";

    /// <summary>Where the embedded SQLite journal lives (ignored when <see cref="Postgres"/> is set).</summary>
    public string Data { get; set; } = ".canal";

    /// <summary>A PostgreSQL connection string: the journal shared by several replicas.</summary>
    public string? Postgres { get; set; }

    public DnsMode Mode { get; set; } = DnsMode.Auto;
    public string ClusterDomain { get; set; } = "cluster.local";
    public string GatewaySelector { get; set; } = "app=canal-gateway";
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Akka remoting address; port 0 picks a free one (fine for a single node).</summary>
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; }

    /// <summary>Seed nodes (<c>akka.tcp://canal@host:port</c>); none means this node forms a cluster on its own.</summary>
    public List<string> SeedNodes { get; set; } = [];
}
