using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// The plain discovery documents (/version, /api, /api/v1, /apis, /apis/GROUP/VERSION). The aggregated
/// discovery kubectl asks for first is not served: answering with the plain documents is what makes it fall back.
/// </summary>
internal sealed class Discovery(ResourceCatalog catalog, KubeApiOptions options)
{
    // The verbs the emulator serves (a real server also lists deletecollection, which is not emulated).
    private static readonly string[] Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];

    public JsonObject Version()
    {
        var parts = options.KubernetesVersion.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = parts[0],
            ["minor"] = parts[1],
            ["gitVersion"] = options.KubernetesVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2025-01-01T00:00:00Z",
            ["goVersion"] = "go1.23.8",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public JsonObject Groups() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray([.. catalog.Groups.Select(group =>
        {
            var versions = catalog.VersionsOf(group);
            return new JsonObject
            {
                ["name"] = group,
                ["versions"] = new JsonArray([.. versions.Select(v => GroupVersion(group, v))]),
                ["preferredVersion"] = GroupVersion(group, versions[0]),
            };
        })]),
    };

    /// <summary>The resources of one group version, or null if the group version is not served.</summary>
    public JsonObject? Resources(string group, string version)
    {
        if (!catalog.Serves(group, version))
            return null;
        var list = new JsonObject { ["kind"] = "APIResourceList" };
        // The real /api/v1 document has no apiVersion; every /apis/GROUP/VERSION one has.
        if (group != "")
            list["apiVersion"] = "v1";
        list["groupVersion"] = group == "" ? version : $"{group}/{version}";
        list["resources"] = new JsonArray([.. catalog.Types.Where(t => t.Group == group && t.Versions.Contains(version)).Select(Resource)]);
        return list;
    }

    private static JsonObject Resource(ResourceType type)
    {
        var resource = new JsonObject
        {
            ["name"] = type.Resource,
            ["singularName"] = type.Singular,
            ["namespaced"] = type.Namespaced,
            ["kind"] = type.Kind,
            ["verbs"] = new JsonArray([.. Verbs.Select(v => JsonValue.Create(v))]),
        };
        if (type.ShortNames.Count > 0)
            resource["shortNames"] = new JsonArray([.. type.ShortNames.Select(s => JsonValue.Create(s))]);
        if (type.Group == ResourceCatalog.IstioGroup)
            resource["categories"] = new JsonArray("istio-io", "networking-istio-io");
        return resource;
    }

    private static JsonObject GroupVersion(string group, string version) =>
        new() { ["groupVersion"] = $"{group}/{version}", ["version"] = version };
}
