using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Canal.Propagation;
using DnsClient;

namespace Canal.Node.Probing;

/// <summary>
/// Asks CoreDNS replicas directly over DNS (DnsClient, no cache, no retries: the probe's next round is the retry) and
/// reads their reload failures from the prometheus plugin. Where the replicas come from is given: the kube-dns
/// Service's endpoints, or fixed addresses in local mode.
/// </summary>
internal sealed class DnsClientReplicas(string description, Func<CancellationToken, Task<IReadOnlyList<CoreDnsReplica>>> list) : ICoreDnsReplicas
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<(string, int), LookupClient> _clients = new();
    private static readonly HttpClient Http = new() { Timeout = Timeout };

    public string Description => description;

    public Task<IReadOnlyList<CoreDnsReplica>> ListAsync(CancellationToken cancellationToken) => list(cancellationToken);

    public async Task<DnsAnswer> AskAsync(CoreDnsReplica replica, string name, bool ipv6, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Client(replica).QueryAsync(name, ipv6 ? QueryType.AAAA : QueryType.A, QueryClass.IN, cancellationToken);
            if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
                return DnsAnswer.NoSuchName.Instance;
            if (response.HasError)
                return new DnsAnswer.Failed(response.ErrorMessage);
            return new DnsAnswer.Addresses([.. response.Answers.AddressRecords().Select(r => r.Address.ToString())]);
        }
        catch (DnsResponseException e)
        {
            return new DnsAnswer.Failed(e.Code == DnsResponseCode.ConnectionTimeout ? "no answer" : e.Message);
        }
    }

    public async Task<double?> ReloadFailuresAsync(CoreDnsReplica replica, int metricsPort, CancellationToken cancellationToken)
    {
        try
        {
            var host = IPAddress.TryParse(replica.Address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : replica.Address;
            var text = await Http.GetStringAsync($"http://{host}:{metricsPort}/metrics", cancellationToken);
            return ReloadFailures(text);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The sum of <c>coredns_reload_failed_total</c> in a Prometheus text page; null when it is not there.</summary>
    public static double? ReloadFailures(string metrics)
    {
        double? sum = null;
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith("coredns_reload_failed_total", StringComparison.Ordinal) || line.Length <= "coredns_reload_failed_total".Length
                || line["coredns_reload_failed_total".Length] is not (' ' or '{'))
                continue;
            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                sum = (sum ?? 0) + v;
        }
        return sum;
    }

    /// <summary>Replicas named <c>HOST:PORT</c> (local mode's <c>--dns-probe</c>); null and an error for one that is not an address and port.</summary>
    public static IReadOnlyList<CoreDnsReplica>? Fixed(IEnumerable<string> addresses, out string error)
    {
        error = "";
        var replicas = new List<CoreDnsReplica>();
        foreach (var address in addresses)
        {
            if (!IPEndPoint.TryParse(address, out var endpoint) || endpoint.Port == 0)
            {
                error = $"--dns-probe {address} is not an address and port such as 127.0.0.1:53";
                return null;
            }
            replicas.Add(new CoreDnsReplica(address, endpoint.Address.ToString(), endpoint.Port));
        }
        return replicas;
    }

    private LookupClient Client(CoreDnsReplica replica) => _clients.GetOrAdd((replica.Address, replica.Port), key =>
        new LookupClient(new LookupClientOptions(new IPEndPoint(IPAddress.Parse(key.Item1), key.Item2))
        {
            UseCache = false,
            Retries = 0,
            Timeout = Timeout,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            UseRandomNameServer = false,
        }));
}
