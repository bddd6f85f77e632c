using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Canal.Tests.KubeApi;

/// <summary>
/// The API's verbs on stored objects, with the real server's rules: system metadata, optimistic concurrency,
/// namespaces that must exist, finalizers, paging at a consistent snapshot, and the answers each verb gives.
/// Objects are stored at the storage version and served at the version a request names.
/// </summary>
internal sealed partial class Registry(ResourceCatalog catalog, ObjectStore store, WatchHub hub, KindRules rules)
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private ResourceType NamespaceType => catalog.Find("", "namespaces")!;

    public JsonObject Get(ResourceType type, string version, string ns, string name) =>
        store.Get(type, ns, name) is { } obj ? type.Serve(obj, version) : throw Status.NotFound(type, name);

    public JsonObject List(ResourceType type, string version, string? ns, ListQuery query)
    {
        var prefix = ns == null ? "" : ns + "/";
        var (snapshot, start) = (store.ResourceVersion, "");
        if (query.Continue is { } token)
        {
            (snapshot, start) = ContinueToken.Decode(token);
            if (snapshot < hub.CompactedResourceVersion)
            {
                var expired = Status.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
                expired.Status["metadata"] = new JsonObject { ["continue"] = ContinueToken.Encode(store.ResourceVersion, start) };
                throw expired;
            }
        }
        // Like etcd paging, a page holds `limit` keys, matching or not: it can come back short, even empty.
        var (page, remaining) = store.Page(type, ns, snapshot, prefix + start, query.Limit ?? int.MaxValue);
        var items = new JsonArray();
        foreach (var (_, obj) in page)
        {
            if (query.Labels.Matches(obj) && query.Fields.Matches(obj))
                items.Add(ListItem(type, version, obj));
        }
        var metadata = new JsonObject { ["resourceVersion"] = snapshot.ToString(CultureInfo.InvariantCulture) };
        if (remaining > 0)
        {
            metadata["continue"] = ContinueToken.Encode(snapshot, page[^1].Key[prefix.Length..] + "\0");
            if (query.Labels.IsEmpty && query.Fields.IsEmpty)
                metadata["remainingItemCount"] = remaining;
        }
        return new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion(version),
            ["metadata"] = metadata,
            ["items"] = items,
        };
    }

    public JsonObject Create(ResourceType type, string version, string ns, JsonObject body, bool seeding = false)
    {
        var obj = Decode(type, version, body, ns);
        var metadata = obj["metadata"]!.AsObject();
        if (!string.IsNullOrEmpty((string?)metadata["resourceVersion"]))
            throw Status.BadRequest("resourceVersion should not be set on objects to be created");
        if (string.IsNullOrEmpty((string?)metadata["name"]))
        {
            if ((string?)metadata["generateName"] is not { Length: > 0 } generateName)
                throw Status.Invalid(type, "", "metadata.name", "Required value: name or generateName is required");
            metadata["name"] = generateName + new string([.. Enumerable.Range(0, 5).Select(_ => GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)])]);
        }
        var name = (string)metadata["name"]!;
        ValidateName(type, name);
        return store.Atomically(() =>
        {
            if (type.Namespaced && store.Get(NamespaceType, "", ns) == null)
                throw Status.NamespaceNotFound(ns);
            if (store.Get(type, ns, name) != null)
                throw Status.AlreadyExists(type, name);
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = Now();
            metadata.Remove("deletionTimestamp");
            metadata.Remove("deletionGracePeriodSeconds");
            rules.PrepareCreate(type, obj, seeding);
            return type.Serve(store.Put(type, obj), version);
        });
    }

    /// <summary>
    /// A replace. Without a resourceVersion in the body it is unconditional (custom resources refuse that, except
    /// when a test is <paramref name="seeding"/> objects: then status may be written too).
    /// </summary>
    public JsonObject Update(ResourceType type, string version, string ns, string name, JsonObject body, bool seeding = false)
    {
        var obj = Decode(type, version, body, ns);
        var metadata = obj["metadata"]!.AsObject();
        if ((string?)metadata["name"] != name)
            throw Status.BadRequest($"the name of the object ({(string?)metadata["name"]}) does not match the name on the URL ({name})");
        return store.Atomically(() =>
        {
            var current = store.Get(type, ns, name) ?? throw Status.NotFound(type, name);
            var currentMetadata = current["metadata"]!.AsObject();
            var resourceVersion = (string?)metadata["resourceVersion"];
            if (string.IsNullOrEmpty(resourceVersion))
            {
                if (type.Custom && !seeding)
                    throw Status.Invalid(type, name, "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update");
            }
            else if (resourceVersion != (string?)currentMetadata["resourceVersion"])
                throw Status.Conflict(type, name);
            if ((string?)metadata["uid"] is { Length: > 0 } uid && uid != (string?)currentMetadata["uid"])
                throw Status.Conflict(type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {(string?)currentMetadata["uid"]}");
            foreach (var field in (string[])["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"])
            {
                metadata.Remove(field);
                if (currentMetadata[field] is { } value)
                    metadata[field] = value.DeepClone();
            }
            rules.PrepareUpdate(type, obj, current, seeding);
            var stored = store.Put(type, obj);
            // The last finalizer gone from an object being deleted: the deletion completes.
            if (metadata["deletionTimestamp"] != null && metadata["finalizers"] is null or JsonArray { Count: 0 })
                store.Remove(type, ns, name);
            return type.Serve(stored, version);
        });
    }

    public JsonObject Patch(ResourceType type, string version, string ns, string name, string contentType, JsonObject patch) =>
        store.Atomically(() =>
        {
            var current = type.Serve(store.Get(type, ns, name) ?? throw Status.NotFound(type, name), version);
            var patched = contentType switch
            {
                "application/merge-patch+json" => MergePatch.Apply(current, patch) as JsonObject,
                // Custom resources have no Go types to read patch strategies from: the real server refuses.
                "application/strategic-merge-patch+json" when !type.Custom => StrategicMergePatch.Apply(type.Kind, current, patch),
                _ => throw (type.Custom
                    ? Status.UnsupportedMediaType("application/merge-patch+json")
                    : Status.UnsupportedMediaType("application/merge-patch+json", "application/strategic-merge-patch+json")),
            };
            return Update(type, version, ns, name, patched ?? throw Status.BadRequest("the patch turned the object into something that is not an object"));
        });

    /// <summary>A delete: the deleted object for Services and Namespaces (as the real registry returns it), else a Success Status.</summary>
    public JsonObject Delete(ResourceType type, string version, string ns, string name, JsonObject? options) =>
        store.Atomically(() =>
        {
            var current = store.Get(type, ns, name) ?? throw Status.NotFound(type, name);
            var metadata = current["metadata"]!.AsObject();
            CheckPreconditions(type, name, metadata, options?["preconditions"] as JsonObject);
            if (type == NamespaceType)
                return type.Serve(TerminateNamespace(current), version);
            if (metadata["finalizers"] is JsonArray { Count: > 0 })
            {
                if (metadata["deletionTimestamp"] == null)
                {
                    metadata["deletionTimestamp"] = Now();
                    metadata["deletionGracePeriodSeconds"] = 0;
                    current = store.Put(type, current);
                }
                return type.Serve(current, version);
            }
            var deleted = store.Remove(type, ns, name)!;
            return type.Kind == "Service"
                ? type.Serve(deleted, version)
                : Status.Success(type, name, (string?)metadata["uid"]);
        });

    /// <summary>Starts a watch under the store's lock, so that no change falls between its start and its first event.</summary>
    public Watcher Watch(ResourceType type, string version, string? ns, WatchQuery query) =>
        store.Atomically(() =>
        {
            var watcher = new Watcher(type, version, ns, query.Labels, query.Fields, query.Bookmarks);
            var current = store.ResourceVersion;
            if (query.ResourceVersion is not { } from || from == 0)
            {
                // No resourceVersion (or "0"): the current state as synthetic ADDED events, then changes.
                foreach (var (_, obj) in store.List(type, ns, current).Where(o => watcher.Selects(o.Object)))
                    watcher.Send("ADDED", obj);
                from = current;
            }
            else if (from < hub.CompactedResourceVersion)
                throw Status.Expired($"too old resource version: {from} ({hub.CompactedResourceVersion})");
            hub.Subscribe(watcher, from);
            return watcher;
        });

    /// <summary>
    /// What the namespace controller does, done at once: the namespace turns Terminating, its content is
    /// deleted, then the namespace goes.
    /// </summary>
    private JsonObject TerminateNamespace(JsonObject ns)
    {
        var name = (string)ns["metadata"]!["name"]!;
        ns["metadata"]!["deletionTimestamp"] = Now();
        ns["status"] = new JsonObject { ["phase"] = "Terminating" };
        var terminating = store.Put(NamespaceType, ns);
        foreach (var type in catalog.Types.Where(t => t.Namespaced))
        {
            foreach (var (_, obj) in store.List(type, name, store.ResourceVersion))
                store.Remove(type, name, (string)obj["metadata"]!["name"]!);
        }
        store.Remove(NamespaceType, "", name);
        return terminating;
    }

    private static void CheckPreconditions(ResourceType type, string name, JsonObject metadata, JsonObject? preconditions)
    {
        if ((string?)preconditions?["uid"] is { } uid && uid != (string?)metadata["uid"])
            throw Status.Conflict(type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {(string?)metadata["uid"]}");
        if ((string?)preconditions?["resourceVersion"] is { } rv && rv != (string?)metadata["resourceVersion"])
            throw Status.Conflict(type, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {(string?)metadata["resourceVersion"]}");
    }

    /// <summary>Checks the body's kind, apiVersion and namespace against the URL and returns it at the storage version.</summary>
    private static JsonObject Decode(ResourceType type, string version, JsonObject body, string ns)
    {
        var obj = (JsonObject)body.DeepClone();
        if ((string?)obj["apiVersion"] is { } apiVersion && apiVersion != type.ApiVersion(version))
            throw Status.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion(version)})");
        if ((string?)obj["kind"] is { } kind && kind != type.Kind)
            throw Status.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({type.Kind})");
        if (obj["metadata"] is not JsonObject metadata)
            obj["metadata"] = metadata = new JsonObject();
        if (type.Namespaced)
        {
            if (string.IsNullOrEmpty((string?)metadata["namespace"]))
                metadata["namespace"] = ns;
            else if ((string?)metadata["namespace"] != ns)
                throw Status.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        else
            metadata.Remove("namespace");
        return type.Serve(obj, type.StorageVersion);
    }

    private static void ValidateName(ResourceType type, string name)
    {
        if (type.Kind is "Namespace" or "Service")
        {
            if (!Dns1123Label().IsMatch(name) || type.Kind == "Service" && !char.IsAsciiLetter(name[0]))
                throw Status.Invalid(type, name, "metadata.name", $"Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
        }
        else if (name.Length > 253 || !Dns1123Subdomain().IsMatch(name))
            throw Status.Invalid(type, name, "metadata.name", $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject ListItem(ResourceType type, string version, JsonObject obj)
    {
        type.Serve(obj, version);
        if (!type.ListItemsCarryKind)
        {
            obj.Remove("kind");
            obj.Remove("apiVersion");
        }
        return obj;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();
}

internal sealed record ListQuery(LabelSelector Labels, FieldSelector Fields, int? Limit, string? Continue);

internal sealed record WatchQuery(LabelSelector Labels, FieldSelector Fields, long? ResourceVersion, bool Bookmarks);
