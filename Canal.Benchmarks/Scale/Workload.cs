using System.Text.Json;
using System.Text.Json.Nodes;
using Canal.Node.Local;

namespace Canal.Benchmarks.Scale;

/// <summary>One VirtualService of a workload: its namespace, name and the Services (short names, same namespace) it routes to.</summary>
internal sealed record VirtualServiceSpec(string Namespace, string Name, IReadOnlyList<string> Services)
{
    public IEnumerable<string> Hosts => Services.Select(s => Workload.Fqdn(Namespace, s));
}

/// <summary>
/// N VirtualServices over 100 namespaces, each routing to 1-3 Services of its namespace through the canal gateway (the
/// others by path, its own for the rest).
/// The first destination is the VirtualService's own Service, the others are drawn from the namespace's, so hosts
/// are shared between some. Services number min(N, 10,000) — Kubernetes' documented limit per cluster — so past
/// 10,000 VirtualServices several route to each Service, as they do in real clusters of that size.
/// Deterministic: the same N gives the same objects.
/// </summary>
internal sealed class Workload
{
    public const int Namespaces = 100;
    public const int ServicePort = 5000;
    public const string GatewayNamespace = "istio-system";
    public const string GatewayIp = "10.96.0.100";
    private const int MaxServices = 10_000;

    /// <summary>CoreDNS's configuration before Canal: kubeadm's Corefile.</summary>
    public static readonly string Corefile = DefaultCorefile.For("cluster.local");

    /// <summary>What the Corefile key may take: a ConfigMap's 1 MiB less the key's own name.</summary>
    public const long CorefileCapacity = 1024 * 1024 - 8;

    private Workload(int count, int servicesPerNamespace, IReadOnlyList<VirtualServiceSpec> virtualServices)
    {
        Count = count;
        ServicesPerNamespace = servicesPerNamespace;
        VirtualServices = virtualServices;
    }

    public int Count { get; }
    public int ServicesPerNamespace { get; }
    public IReadOnlyList<VirtualServiceSpec> VirtualServices { get; }

    public static Workload Create(int count)
    {
        var perNamespace = Math.Max(1, (Math.Min(count, MaxServices) + Namespaces - 1) / Namespaces);
        var random = new Random(count);
        var specs = new List<VirtualServiceSpec>(count);
        for (var i = 0; i < count; i++)
        {
            var index = i / Namespaces;
            var services = new List<string> { Service(index % perNamespace) };
            for (var extra = random.Next(3); extra > 0; extra--)
                services.Add(Service(random.Next(perNamespace)));
            specs.Add(new VirtualServiceSpec(Namespace(i % Namespaces), $"vs-{index:D5}", [.. services.Distinct()]));
        }
        return new Workload(count, perNamespace, specs);
    }

    public static string Namespace(int i) => $"team-{i:D3}";

    public static string Service(int i) => $"svc-{i:D4}";

    public static string Fqdn(string ns, string service) => $"{service}.{ns}.svc.cluster.local";

    public IEnumerable<(string Namespace, string Name)> Services() =>
        Enumerable.Range(0, Namespaces).SelectMany(n => Enumerable.Range(0, ServicesPerNamespace).Select(s => (Namespace(n), Service(s))));

    /// <summary>Every host some VirtualService routes to: what the Corefile must redirect once synced.</summary>
    public IReadOnlySet<string> Hosts() => VirtualServices.SelectMany(v => v.Hosts).ToHashSet(StringComparer.Ordinal);

    public static JsonObject NamespaceJson(string name) => Object("v1", "Namespace", Metadata(name, null));

    public static JsonObject ServiceJson(string ns, string name) => Object("v1", "Service", Metadata(name, ns), new JsonObject
    {
        ["selector"] = new JsonObject { ["app"] = name },
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = ServicePort }),
    });

    public static JsonObject VirtualServiceJson(VirtualServiceSpec vs) => Object("networking.istio.io/v1", "VirtualService", Metadata(vs.Name, vs.Namespace), new JsonObject
    {
        ["hosts"] = new JsonArray([.. vs.Services.Select(s => JsonValue.Create(s))]),
        ["gateways"] = new JsonArray($"{GatewayNamespace}/canal"),
        // The other Services by path first, the VirtualService's own last and for every other request: a route after
        // one that takes every request would never be reached, and its Service never redirected.
        ["http"] = new JsonArray([.. vs.Services.Skip(1).Append(vs.Services[0]).Select(s => Route(s, s == vs.Services[0] ? null : $"/{s}"))]),
    });

    private static JsonObject Route(string service, string? prefix)
    {
        var route = new JsonObject
        {
            ["route"] = new JsonArray(new JsonObject
            {
                ["destination"] = new JsonObject { ["host"] = service, ["port"] = new JsonObject { ["number"] = ServicePort } },
            }),
        };
        if (prefix != null)
            route["match"] = new JsonArray(new JsonObject { ["uri"] = new JsonObject { ["prefix"] = prefix } });
        return route;
    }

    public static JsonObject CoreDnsJson()
    {
        var configMap = Object("v1", "ConfigMap", Metadata("coredns", "kube-system"));
        configMap["data"] = new JsonObject { ["Corefile"] = Corefile };
        return configMap;
    }

    /// <summary>The canal Gateway, its Service (pods app=canal-gateway) and a ready endpoint behind it.</summary>
    public static IEnumerable<JsonObject> GatewayJson()
    {
        yield return Object("networking.istio.io/v1", "Gateway", Metadata("canal", GatewayNamespace), new JsonObject
        {
            ["selector"] = new JsonObject { ["app"] = "canal-gateway" },
            ["servers"] = new JsonArray(new JsonObject
            {
                ["port"] = new JsonObject { ["number"] = ServicePort, ["name"] = "http", ["protocol"] = "HTTP" },
                ["hosts"] = new JsonArray("*"),
            }),
        });
        yield return Object("v1", "Service", Metadata("canal", GatewayNamespace), new JsonObject
        {
            ["selector"] = new JsonObject { ["app"] = "canal-gateway" },
            ["clusterIP"] = GatewayIp,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = ServicePort }),
        });
        var slice = Object("discovery.k8s.io/v1", "EndpointSlice", Metadata("canal-abcde", GatewayNamespace));
        slice["metadata"]!["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "canal" };
        slice["addressType"] = "IPv4";
        slice["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = ServicePort, ["protocol"] = "TCP" });
        slice["endpoints"] = new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray("10.1.0.5"),
            ["conditions"] = new JsonObject { ["ready"] = true },
        });
        yield return slice;
    }

    public static JsonElement Element(JsonObject obj) => JsonSerializer.SerializeToElement(obj);

    private static JsonObject Metadata(string name, string? ns) =>
        ns == null ? new JsonObject { ["name"] = name } : new JsonObject { ["name"] = name, ["namespace"] = ns };

    private static JsonObject Object(string apiVersion, string kind, JsonObject metadata, JsonObject? spec = null)
    {
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };
        if (spec != null)
            obj["spec"] = spec;
        return obj;
    }
}
