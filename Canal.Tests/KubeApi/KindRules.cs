using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Canal.Tests.KubeApi;

/// <summary>
/// What the real server's per-kind strategies do on create and update that a client can see: defaults (a
/// Service's cluster IP, a Namespace's phase), validation a controller can trip over (ConfigMap data), status that
/// only the status subresource may change, and the generation of custom resources.
/// </summary>
internal sealed partial class KindRules
{
    private const int ConfigMapLimit = 1024 * 1024;
    private readonly HashSet<string> _clusterIPs = [];
    private int _nextClusterIP = 1;
    private int _nextNodePort = 30000;

    public void PrepareCreate(ResourceType type, JsonObject obj, bool keepStatus)
    {
        if (type.Custom)
        {
            obj["metadata"]!["generation"] = 1;
            // Istio's CRDs enable the status subresource: a create cannot set status.
            if (!keepStatus)
                obj.Remove("status");
        }
        switch (type.Kind)
        {
            case "ConfigMap":
                ValidateConfigMap(type, obj);
                break;
            case "Namespace":
                var name = (string)obj["metadata"]!["name"]!;
                Labels(obj)["kubernetes.io/metadata.name"] = name;
                obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case "Service":
                DefaultService(type, obj, null);
                if (!keepStatus)
                    obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
        }
    }

    public void PrepareUpdate(ResourceType type, JsonObject obj, JsonObject current, bool keepStatus)
    {
        if (!keepStatus && (type.Custom || type.Kind is "Namespace" or "Service"))
            obj["status"] = current["status"]?.DeepClone();
        if (obj["status"] is null)
            obj.Remove("status");
        if (type.Custom)
        {
            var generation = (long?)current["metadata"]!["generation"] ?? 1;
            obj["metadata"]!["generation"] = SpecChanged(obj, current) ? generation + 1 : generation;
        }
        switch (type.Kind)
        {
            case "ConfigMap":
                ValidateConfigMap(type, obj);
                break;
            case "Namespace":
                Labels(obj)["kubernetes.io/metadata.name"] = (string)obj["metadata"]!["name"]!;
                obj["spec"] ??= current["spec"]?.DeepClone();
                break;
            case "Service":
                DefaultService(type, obj, current);
                break;
        }
    }

    /// <summary>Custom resources count a change of anything but metadata and status as a new generation.</summary>
    private static bool SpecChanged(JsonObject obj, JsonObject current)
    {
        static JsonObject Body(JsonObject o) =>
            new(o.Where(p => p.Key is not ("metadata" or "status")).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        return !JsonNode.DeepEquals(Body(obj), Body(current));
    }

    private static void ValidateConfigMap(ResourceType type, JsonObject obj)
    {
        var name = (string)obj["metadata"]!["name"]!;
        var size = 0;
        foreach (var field in (string[])["data", "binaryData"])
        {
            if (obj[field] is null)
                continue;
            if (obj[field] is not JsonObject map)
                throw Status.BadRequest($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {obj[field]!.GetValueKind().ToString().ToLowerInvariant()} into Go struct field ConfigMap.{field} of type map[string]string");
            foreach (var (key, value) in map)
            {
                if (value?.GetValueKind() != System.Text.Json.JsonValueKind.String)
                    throw Status.BadRequest($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {value?.GetValueKind().ToString().ToLowerInvariant() ?? "null"} into Go struct field ConfigMap.{field} of type string");
                if (!ConfigKey().IsMatch(key))
                    throw Status.Invalid(type, name, $"{field}[{key}]", $"Invalid value: \"{key}\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
                size += key.Length + Encoding.UTF8.GetByteCount((string)value!);
            }
        }
        if (size > ConfigMapLimit)
            throw Status.Invalid(type, name, "[]", $"Too long: must have at most {ConfigMapLimit} bytes");
    }

    /// <summary>The defaults a real Service gets, and its allocated cluster IP and node ports kept across updates.</summary>
    private void DefaultService(ResourceType serviceType, JsonObject service, JsonObject? current)
    {
        var spec = service["spec"] as JsonObject ?? new JsonObject();
        service["spec"] = spec;
        var old = current?["spec"] as JsonObject;
        var type = (string?)spec["type"] ?? "ClusterIP";
        spec["type"] = type;
        spec["sessionAffinity"] ??= "None";
        if (type == "ExternalName")
            return;
        if (string.IsNullOrEmpty((string?)spec["clusterIP"]))
            spec["clusterIP"] = (string?)old?["clusterIP"] ?? AllocateClusterIP();
        var clusterIP = (string)spec["clusterIP"]!;
        if (old?["clusterIP"] is { } was && (string?)was != clusterIP)
            throw Status.Invalid(serviceType, (string)service["metadata"]!["name"]!, "spec.clusterIPs[0]", $"Invalid value: []string{{\"{clusterIP}\"}}: may not change once set");
        _clusterIPs.Add(clusterIP);
        spec["clusterIPs"] = new JsonArray(clusterIP);
        spec["ipFamilies"] ??= old?["ipFamilies"]?.DeepClone() ?? new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
        spec["internalTrafficPolicy"] ??= "Cluster";
        if (type is "NodePort" or "LoadBalancer")
            spec["externalTrafficPolicy"] ??= "Cluster";
        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            port["targetPort"] ??= port["port"]?.DeepClone();
            if (type is "NodePort" or "LoadBalancer")
                port["nodePort"] ??= OldNodePort(old, port) ?? _nextNodePort++;
        }
    }

    private static int? OldNodePort(JsonObject? old, JsonObject port) =>
        (old?["ports"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(p => JsonNode.DeepEquals(p["port"], port["port"]))?["nodePort"] is { } nodePort
            ? (int)nodePort
            : null;

    /// <summary>Cluster IPs come from the default service range 10.96.0.0/12, skipping the ones in use.</summary>
    private string AllocateClusterIP()
    {
        while (true)
        {
            var n = _nextClusterIP++ + 256;
            var ip = $"10.96.{n / 256}.{n % 256}";
            if (n % 256 != 0 && _clusterIPs.Add(ip))
                return ip;
        }
    }

    private static JsonObject Labels(JsonObject obj)
    {
        var metadata = obj["metadata"]!.AsObject();
        if (metadata["labels"] is not JsonObject labels)
            metadata["labels"] = labels = new JsonObject();
        return labels;
    }

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKey();
}
