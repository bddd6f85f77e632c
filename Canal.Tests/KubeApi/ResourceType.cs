using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>One emulated resource (configmaps, virtualservices, …) and the names the API uses for it.</summary>
public sealed record ResourceType(
    string Group,
    IReadOnlyList<string> Versions,
    string Resource,
    string Singular,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> ShortNames,
    bool Custom)
{
    /// <summary>The preferred version: objects are stored at it, as the real server stores at its storage version.</summary>
    public string StorageVersion => Versions[0];

    public string ListKind => Kind + "List";

    /// <summary>"configmaps" or "virtualservices.networking.istio.io", as the real server names it in messages.</summary>
    public string QualifiedResource => Group == "" ? Resource : $"{Resource}.{Group}";

    public string ApiVersion(string version) => Group == "" ? version : $"{Group}/{version}";

    /// <summary>
    /// The object as served at <paramref name="version"/>. Istio's versions share one schema (its CRDs convert
    /// with strategy None), so converting is only relabelling, exactly as the real server does it.
    /// </summary>
    public JsonObject Serve(JsonObject obj, string version)
    {
        obj["apiVersion"] = ApiVersion(version);
        obj["kind"] = Kind;
        return obj;
    }

    // Custom resources carry apiVersion and kind inside lists; built-in list items do not (their Go structs are typed).
    public bool ListItemsCarryKind => Custom;
}
