namespace Canal.Tests.KubeApi;

/// <summary>Names one object: its API group ("" for core), resource (plural), namespace (null if cluster-scoped) and name.</summary>
public sealed record ObjectRef(string Group, string Resource, string? Namespace, string Name)
{
    public static ObjectRef ConfigMap(string ns, string name) => new("", "configmaps", ns, name);
}

/// <summary>
/// One request the emulator answered, named as RBAC names it (verb: get, list, watch, create, update, patch,
/// delete), with the HTTP status it got.
/// </summary>
public sealed record RequestRecord(string Verb, string Group, string Resource, string? Namespace, string? Name, int StatusCode);

/// <summary>A request outside the resource paths (discovery, /version), with the Accept header it came with.</summary>
public sealed record DiscoveryRequest(string Path, string Accept);
