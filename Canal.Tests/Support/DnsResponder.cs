using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Canal.Tests.Support;

/// <summary>
/// A DNS server on a loopback address that plays one CoreDNS replica as a test wants it: the addresses it answers for
/// each name (NXDOMAIN for any other), how long it takes, or no answer at all; and, when asked for, a metrics page
/// with its <c>coredns_reload_failed_total</c>. Or it serves what a Corefile's canal section says (<see cref="Serving"/>).
/// </summary>
internal sealed class DnsResponder : IDisposable
{
    private DnsServer _server = null!;
    private readonly ConcurrentDictionary<string, string[]> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly HttpListener? _metrics;
    private Func<string, string[]?>? _resolve;

    private DnsResponder(IPAddress address, bool metrics)
    {
        Address = address.ToString();
        // A port free for TCP may be taken for UDP by a test running beside this one: take another.
        for (var attempt = 1; ; attempt++)
        {
            Port = Ports.Free();
            _server = new DnsServer([new UdpServerTransport(new IPEndPoint(address, Port), 1000)]);
            _server.QueryReceived += Answer;
            try
            {
                _server.Start();
                break;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 10)
            {
                _server.Stop();
            }
        }
        if (metrics)
        {
            MetricsPort = Ports.Free();
            _metrics = new HttpListener();
            _metrics.Prefixes.Add($"http://{Address}:{MetricsPort}/");
            _metrics.Start();
            _ = ServeMetrics();
        }
    }

    public string Address { get; }
    public int Port { get; private set; }
    public int MetricsPort { get; }
    public string Endpoint => $"{Address}:{Port}";

    /// <summary>How long each answer takes.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Answers nothing at all (a pod down, a NetworkPolicy).</summary>
    public bool Silent { get; set; }

    public double ReloadFailures { get; set; }

    public int Questions;
    private readonly ConcurrentDictionary<string, int> _questionsAbout = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _ignored = new(StringComparer.OrdinalIgnoreCase);

    private readonly ConcurrentDictionary<string, int> _answeredAbout = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How many questions named <paramref name="name"/> so far.</summary>
    public int QuestionsAbout(string name) => _questionsAbout.GetValueOrDefault(name);

    /// <summary>How many of them got an address.</summary>
    public int AnsweredAbout(string name) => _answeredAbout.GetValueOrDefault(name);

    /// <summary>Questions for <paramref name="name"/> get no answer (a lost packet, every time).</summary>
    public void Ignores(string name, bool ignore = true)
    {
        if (ignore)
            _ignored[name] = true;
        else
            _ignored.TryRemove(name, out _);
    }

    /// <summary>The helloworld sample's Services (the canal gateway's and helloworld's) as the kubernetes plugin would answer them.</summary>
    public static readonly IReadOnlyDictionary<string, string> SampleServices = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["canal.istio-system.svc.cluster.local"] = "10.96.0.50",
        ["helloworld.default.svc.cluster.local"] = "10.96.0.10",
    };

    public static DnsResponder Start(string address = "127.0.0.1", bool metrics = false) => new(IPAddress.Parse(address), metrics);

    /// <summary>
    /// Answers for names from <paramref name="corefile"/>'s canal section (its write marker too) as CoreDNS would (read
    /// at each question: an instant reload), the rest from <paramref name="services"/>.
    /// </summary>
    public static DnsResponder Serving(Func<string> corefile, IReadOnlyDictionary<string, string> services)
    {
        return Serving(Start(), corefile, services);
    }

    /// <inheritdoc cref="Serving(Func{string}, IReadOnlyDictionary{string, string})"/>
    public static DnsResponder Serving(DnsResponder responder, Func<string> corefile, IReadOnlyDictionary<string, string> services)
    {
        // A section of 100k hosts is parsed once per version, not once per question; one reference, so a question on
        // another thread sees a text with its own entries.
        var parsed = Parsed.Of("");
        responder._resolve = name =>
        {
            var text = corefile();
            var seen = parsed;
            if (!string.Equals(seen.Text, text, StringComparison.Ordinal))
                parsed = seen = Parsed.Of(text);
            var entries = seen.Entries;
            if ((seen.Marker is { } marker && marker.Name == name ? marker.Entry : entries.GetValueOrDefault(name)) is { } entry)
                return entry.IPs.Count > 0 ? [.. entry.IPs] : services.TryGetValue(entry.Fqdn, out var target) ? [target] : null;
            return services.TryGetValue(name, out var ip) ? [ip] : null;
        };
        return responder;
    }

    /// <summary>A kube-dns EndpointSlice naming this responder as the CoreDNS pod <paramref name="pod"/>, at its address and port.</summary>
    public string KubeDnsSlice(string name, string pod) => KubeDnsSliceOf(name, Port, (Address, pod));

    /// <summary>An EndpointSlice of kube-dns, as the EndpointSlice controller publishes it: each CoreDNS pod ready at its address, serving DNS on <paramref name="port"/>.</summary>
    public static string KubeDnsSliceOf(string name, int port, params (string Address, string Pod)[] pods) => $$"""
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: {{name}}
          namespace: kube-system
          labels: {kubernetes.io/service-name: kube-dns}
        addressType: IPv4
        ports: [{name: dns, port: {{port}}, protocol: UDP}, {name: dns-tcp, port: {{port}}, protocol: TCP}]
        endpoints:
        {{string.Join("\n", pods.Select(p => $"  - addresses: [{p.Address}]\n    conditions: {{ready: true}}\n    targetRef: {{kind: Pod, name: {p.Pod}, namespace: kube-system}}"))}}
        """;

    /// <summary>From now on <paramref name="name"/> answers <paramref name="addresses"/> (none: NXDOMAIN).</summary>
    public DnsResponder Answers(string name, params string[] addresses)
    {
        if (addresses.Length == 0)
            _names.TryRemove(name, out _);
        else
            _names[name] = addresses;
        return this;
    }

    public void Dispose()
    {
        _server.Stop();
        _metrics?.Close();
    }

    private sealed record Parsed(string Text, IReadOnlyDictionary<string, Canal.Dns.SectionEntry> Entries, (string Name, Canal.Dns.SectionEntry Entry)? Marker)
    {
        public static Parsed Of(string text) => new(text, Canal.Dns.PropagationCheck.Entries(text), MarkerOf(text));

        /// <summary>The marker and the addresses its lines give it (hosts mode) or where it is rewritten to (rewrite mode).</summary>
        private static (string, Canal.Dns.SectionEntry)? MarkerOf(string text)
        {
            var lines = Canal.Dns.CorefileUpdate.SectionRedirects(text).Where(r => Canal.Dns.WriteMarker.Is(r.Host)).ToList();
            return lines switch
            {
                [] => null,
                [(var marker, var target, true), ..] => (marker, new Canal.Dns.SectionEntry(target, [])),
                _ => (lines[0].Host, new Canal.Dns.SectionEntry("", [.. lines.Select(l => l.Target)])),
            };
        }
    }

    private async Task Answer(object sender, QueryReceivedEventArgs e)
    {
        Interlocked.Increment(ref Questions);
        if (e.Query is not DnsMessage { Questions: [var question] } query)
            return;
        var name = question.Name.ToString().TrimEnd('.');
        _questionsAbout.AddOrUpdate(name, 1, (_, n) => n + 1);
        // Answering nothing would still send SERVFAIL; an answer that never comes is what a client times out on.
        if (Silent || _ignored.ContainsKey(name))
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
            return;
        }
        if (Delay > TimeSpan.Zero)
            await Task.Delay(Delay);
        var response = query.CreateResponseInstance();
        var addresses = _resolve != null ? _resolve(name) : _names.GetValueOrDefault(name);
        response.ReturnCode = addresses == null ? ReturnCode.NxDomain : ReturnCode.NoError;
        if (addresses is { Length: > 0 })
            _answeredAbout.AddOrUpdate(name, 1, (_, n) => n + 1);
        foreach (var ip in (addresses ?? []).Select(IPAddress.Parse))
        {
            if (question.RecordType == RecordType.A && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                response.AnswerRecords.Add(new ARecord(question.Name, 5, ip));
            else if (question.RecordType == RecordType.Aaaa && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
                response.AnswerRecords.Add(new AaaaRecord(question.Name, 5, ip));
        }
        e.Response = response;
    }

    private async Task ServeMetrics()
    {
        while (_metrics!.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _metrics.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            var body = Encoding.UTF8.GetBytes($"# TYPE coredns_reload_failed_total counter\ncoredns_reload_failed_total {ReloadFailures}\n");
            context.Response.ContentType = "text/plain; version=0.0.4";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }
}
