using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Canal.Tests.KubeApi;

/// <summary>Answers one HTTP request as the real API server would: discovery, the resource verbs, and watches.</summary>
internal sealed class ApiHandler(
    ResourceCatalog catalog,
    Discovery discovery,
    Registry registry,
    ObjectStore store,
    WatchHub hub,
    Faults faults,
    RequestLog log)
{
    private static readonly TimeSpan TooLargeResourceVersionWait = TimeSpan.FromSeconds(3);

    public async Task Handle(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (ResourcePath.Parse(path) is not { Resource: not null })
            log.AddDiscovery(new DiscoveryRequest(path, context.Request.Headers.Accept.ToString()));
        try
        {
            switch (path.TrimEnd('/'))
            {
                case "/version":
                    await Write(context, 200, discovery.Version());
                    return;
                case "/api":
                    await Write(context, 200, discovery.CoreVersions($"{context.Request.Host}"));
                    return;
                case "/apis":
                    await Write(context, 200, discovery.Groups());
                    return;
            }
            if (ResourcePath.Parse(path) is not { } target)
            {
                await NotFoundPage(context);
                return;
            }
            if (target.Resource == null)
            {
                await Write(context, 200, discovery.Resources(target.Group, target.Version) ?? throw Status.ResourceNotFound());
                return;
            }
            await HandleResource(context, target);
        }
        catch (KubeApiException e)
        {
            await Write(context, e.Code, e.Status);
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            // An emulator bug: answered like the real server's storage errors, with the cause in the message.
            await Write(context, 500, Status.InternalError($"emulator failure: {e}").Status);
        }
    }

    private async Task HandleResource(HttpContext context, ResourcePath target)
    {
        var type = catalog.Find(target.Group, target.Version, target.Resource!);
        if (type == null || target.Namespace != null && !type.Namespaced)
            throw Status.ResourceNotFound();
        var query = context.Request.Query;
        var verb = (context.Request.Method, target.Name) switch
        {
            ("GET", null) => Bool(query["watch"]) ? "watch" : "list",
            ("GET", _) => "get",
            ("POST", null) => "create",
            ("PUT", not null) => "update",
            ("PATCH", not null) => "patch",
            ("DELETE", not null) => "delete",
            _ => null,
        };
        // A namespaced resource at the cluster level only lists and watches; deletecollection is not emulated.
        if (verb == null || type.Namespaced && target.Namespace == null && verb is not ("list" or "watch"))
        {
            await Write(context, 405, Status.MethodNotAllowed().Status);
            return;
        }
        var record = (int code) => log.Add(new RequestRecord(verb, type.Group, type.Resource, target.Namespace, target.Name, code));
        if (faults.Delay > TimeSpan.Zero)
            await Task.Delay(faults.Delay, context.RequestAborted);
        if (faults.FailureFor(verb, type.Resource) is { } failure)
        {
            record(failure switch { Faults.StartingStorage => 429, Faults.StartingRbac => 403, _ => failure });
            await WriteFailure(context, failure, verb, type, target.Namespace);
            return;
        }
        try
        {
            // Dry runs are refused rather than ignored: ignoring one would store what the client meant not to.
            if (!string.IsNullOrEmpty(query["dryRun"]))
                throw Status.BadRequest("dryRun is not emulated by this test server");
            if (verb == "watch")
            {
                await Watch(context, type, target, record);
                return;
            }
            var (code, body) = await Serve(context, type, target, verb);
            record(code);
            await Write(context, code, body);
        }
        catch (KubeApiException e)
        {
            record(e.Code);
            throw;
        }
    }

    private async Task<(int Code, JsonObject Body)> Serve(HttpContext context, ResourceType type, ResourcePath target, string verb)
    {
        var (version, ns, name) = (target.Version, target.Namespace ?? "", target.Name!);
        switch (verb)
        {
            case "get":
                return (200, registry.Get(type, version, ns, name));
            case "list":
                var query = context.Request.Query;
                var limit = int.TryParse(query["limit"], CultureInfo.InvariantCulture, out var l) && l > 0 ? l : (int?)null;
                var continueToken = string.IsNullOrEmpty(query["continue"]) ? null : (string?)query["continue"];
                return (200, registry.List(type, version, target.Namespace,
                    new ListQuery(LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"], type.Resource), limit, continueToken)));
            case "create":
                return (201, registry.Create(type, version, ns, await ReadObject(context, type, objectBody: true) ?? throw NoBody()));
            case "delete":
                return (200, registry.Delete(type, version, ns, name, await ReadObject(context, type, objectBody: false)));
            default:
                var body = await ReadObject(context, type, objectBody: verb == "update") ?? throw NoBody();
                var objectRef = new ObjectRef(type.Group, type.Resource, target.Namespace, name);
                return (200, store.Atomically(() =>
                {
                    if (faults.ForceConflict(objectRef))
                        throw Status.Conflict(type, name);
                    foreach (var edit in faults.HooksFor(objectRef))
                    {
                        if (store.Get(type, ns, name) is { } stored && edit(type.Serve(stored, version), (JsonObject)body.DeepClone()) is { } edited)
                            registry.Update(type, version, ns, name, edited, seeding: true);
                    }
                    return verb == "update"
                        ? registry.Update(type, version, ns, name, body)
                        : registry.Patch(type, version, ns, name, MediaType(context), body);
                }));
        }
    }

    private async Task Watch(HttpContext context, ResourceType type, ResourcePath target, Action<int> record)
    {
        var query = context.Request.Query;
        if (!string.IsNullOrEmpty(query["sendInitialEvents"]))
            throw Status.WatchListForbidden();
        var watchQuery = new WatchQuery(
            LabelSelector.Parse(query["labelSelector"]),
            FieldSelector.Parse(query["fieldSelector"], type.Resource),
            ParseResourceVersion(query["resourceVersion"]),
            Bool(query["allowWatchBookmarks"]));
        if (watchQuery.ResourceVersion is { } wanted && wanted > store.ResourceVersion)
        {
            // The watch cache waits a little for a resourceVersion it has not seen yet, then gives up.
            var deadline = DateTime.UtcNow + TooLargeResourceVersionWait;
            while (wanted > store.ResourceVersion && DateTime.UtcNow < deadline)
                await Task.Delay(50, context.RequestAborted);
            if (wanted > store.ResourceVersion)
                throw Status.TooLargeResourceVersion(wanted, store.ResourceVersion);
        }
        Watcher watcher;
        try
        {
            if (watchQuery.ResourceVersion is > 0 && faults.TakeExpiredWatch(type.Resource))
                throw Status.Expired($"too old resource version: {watchQuery.ResourceVersion} ({store.ResourceVersion})");
            watcher = registry.Watch(type, target.Version, target.Namespace, watchQuery);
        }
        catch (KubeApiException e) when (e.Code == 410)
        {
            // A watch that cannot start from its resourceVersion is still a 200 stream, with one ERROR event.
            record(200);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Watcher.WatchLine("ERROR", e.Status));
            return;
        }
        record(200);
        try
        {
            await Stream(context, watcher, query["timeoutSeconds"]);
        }
        finally
        {
            hub.Unsubscribe(watcher);
        }
    }

    private static async Task Stream(HttpContext context, Watcher watcher, string? timeoutSeconds)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (int.TryParse(timeoutSeconds, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        // A dropped watch loses its connection mid-stream, as when an API server restarts.
        using var drop = watcher.Dropped.Register(context.Abort);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        try
        {
            await context.Response.StartAsync(stop.Token);
            await context.Response.Body.FlushAsync(stop.Token);
            await foreach (var line in watcher.Lines.ReadAllAsync(stop.Token))
            {
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), stop.Token);
                await context.Response.Body.FlushAsync(stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The timeout, the client going away, or a dropped connection: the watch simply ends.
        }
    }

    /// <summary>The request's object (JSON, or protobuf where kubectl sends it), or null for an empty body.</summary>
    private static async Task<JsonObject?> ReadObject(HttpContext context, ResourceType type, bool objectBody)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var bytes = buffer.ToArray();
        var mediaType = MediaType(context);
        if (objectBody && mediaType == Protobuf.MediaType && Protobuf.CanDecode(type))
            return Protobuf.Decode(type, bytes);
        if (objectBody && mediaType is not ("application/json" or ""))
            throw Protobuf.CanDecode(type) ? Status.UnsupportedMediaType("application/json", Protobuf.MediaType) : Status.UnsupportedMediaType("application/json");
        var text = Encoding.UTF8.GetString(bytes);
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw Status.BadRequest("the body of the request is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Status.BadRequest($"the body of the request could not be decoded: {e.Message}");
        }
    }

    private static KubeApiException NoBody() => Status.BadRequest("the request has no body");

    private static string MediaType(HttpContext context) =>
        (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();

    private static long? ParseResourceVersion(string? value) =>
        string.IsNullOrEmpty(value) ? null
        : long.TryParse(value, CultureInfo.InvariantCulture, out var rv) && rv >= 0 ? rv
        : throw Status.BadRequest($"invalid resource version: {value}");

    /// <summary>Go's strconv.ParseBool, which the real server uses for query flags.</summary>
    private static bool Bool(string? value) => value is "1" or "t" or "T" or "true" or "TRUE" or "True";

    private static async Task WriteFailure(HttpContext context, int code, string verb, ResourceType type, string? ns)
    {
        // As the real server words them: RBAC names the user, verb, resource, group and namespace.
        const string user = "system:serviceaccount:istio-system:canal-control";
        var where = ns != null ? $" in the namespace \"{ns}\"" : " at the cluster scope";
        var forbidden = $"{type.QualifiedResource} is forbidden: User \"{user}\" cannot {verb} resource \"{type.Resource}\" in API group \"{type.Group}\"{where}";
        var details = new JsonObject { ["group"] = type.Group, ["kind"] = type.Resource };
        switch (code)
        {
            case 403:
                await Write(context, 403, Status.Failure(403, "Forbidden", forbidden, details));
                return;
            case Faults.StartingRbac:
                await Write(context, 403, Status.Failure(403, "Forbidden", $"{forbidden}: RBAC: clusterrole.rbac.authorization.k8s.io \"canal-control\" not found", details));
                return;
            case Faults.StartingStorage:
                context.Response.Headers.RetryAfter = "1";
                await Write(context, 429, Status.Failure(429, "TooManyRequests", "storage is (re)initializing", new JsonObject { ["retryAfterSeconds"] = 1 }));
                return;
            case 401:
                await Write(context, 401, Status.Failure(401, "Unauthorized", "Unauthorized"));
                return;
        }
        if (code == 429)
        {
            // The flow-control filter answers in plain text, not with a Status.
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = "1";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Too many requests, please try again later.\n");
            return;
        }
        await Write(context, code, Status.InternalError("injected fault").Status);
    }

    private static async Task NotFoundPage(HttpContext context)
    {
        context.Response.StatusCode = 404;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("404 page not found\n");
    }

    private static async Task Write(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Json.Options) + "\n");
    }
}
