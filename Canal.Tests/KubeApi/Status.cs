using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>A request the emulator refuses, carrying the Status object the real server would answer with.</summary>
internal sealed class KubeApiException(JsonObject status) : Exception((string?)status["message"])
{
    public JsonObject Status { get; } = status;

    public int Code => (int)Status["code"]!;
}

/// <summary>
/// Status objects worded as the real API server words them: clients (and tests of clients) match on reason and
/// code, and people read the message.
/// </summary>
internal static class Status
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details != null)
            status["details"] = details;
        status["code"] = code;
        return status;
    }

    /// <summary>What a delete answers for resources that do not return the deleted object.</summary>
    public static JsonObject Success(ResourceType type, string name, string? uid) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = Details(type, name, uid),
    };

    public static KubeApiException NotFound(ResourceType type, string name) =>
        new(Failure(404, "NotFound", $"{type.QualifiedResource} \"{name}\" not found", Details(type, name)));

    public static KubeApiException NamespaceNotFound(string name) =>
        new(Failure(404, "NotFound", $"namespaces \"{name}\" not found", new JsonObject { ["name"] = name, ["kind"] = "namespaces" }));

    public static KubeApiException AlreadyExists(ResourceType type, string name) =>
        new(Failure(409, "AlreadyExists", $"{type.QualifiedResource} \"{name}\" already exists", Details(type, name)));

    public static KubeApiException Conflict(ResourceType type, string name, string why = "the object has been modified; please apply your changes to the latest version and try again") =>
        new(Failure(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": {why}", Details(type, name)));

    public static KubeApiException BadRequest(string message) => new(Failure(400, "BadRequest", message));

    public static KubeApiException Invalid(ResourceType type, string name, string field, string detail)
    {
        var message = $"{field}: {detail}";
        var details = Details(type, name);
        details["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = message, ["field"] = field });
        return new(Failure(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {message}", details));
    }

    /// <summary>
    /// What a server without the WatchList feature answers to sendInitialEvents; clients such as client-go then
    /// fall back to list and watch, which is what the emulator serves.
    /// </summary>
    public static KubeApiException WatchListForbidden()
    {
        const string why = "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled";
        var details = new JsonObject
        {
            ["group"] = "meta.k8s.io",
            ["kind"] = "ListOptions",
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueForbidden", ["message"] = why, ["field"] = "sendInitialEvents" }),
        };
        return new(Failure(422, "Invalid", $"ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: {why}", details));
    }

    public static KubeApiException MethodNotAllowed() =>
        new(Failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));

    /// <summary>The accepted types listed are those the emulator reads (kubectl prefixes the refused type itself).</summary>
    public static KubeApiException UnsupportedMediaType(params string[] accepted) =>
        new(Failure(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", accepted)}"));

    public static KubeApiException ResourceNotFound() =>
        new(Failure(404, "NotFound", "the server could not find the requested resource"));

    public static KubeApiException Expired(string message) => new(Failure(410, "Expired", message));

    public static KubeApiException InternalError(string why) =>
        new(Failure(500, "InternalError", $"Internal error occurred: {why}",
            new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = why }) }));

    public static KubeApiException TooLargeResourceVersion(long requested, long current)
    {
        var details = new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
            ["retryAfterSeconds"] = 1,
        };
        return new(Failure(504, "Timeout", $"Timeout: Too large resource version: {requested}, current: {current}", details));
    }

    private static JsonObject Details(ResourceType type, string name, string? uid = null)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group != "")
            details["group"] = type.Group;
        details["kind"] = type.Resource;
        if (uid != null)
            details["uid"] = uid;
        return details;
    }
}
