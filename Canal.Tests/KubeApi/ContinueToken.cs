using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// The continue token of a paged list, encoded as the real server encodes it (base64url of
/// <c>{"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}</c>): the snapshot's resourceVersion and the key to resume at.
/// </summary>
internal static class ContinueToken
{
    public static string Encode(long resourceVersion, string startKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["v"] = "meta.k8s.io/v1",
            ["rv"] = resourceVersion,
            ["start"] = startKey,
        }.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static (long ResourceVersion, string StartKey) Decode(string token)
    {
        JsonObject? parsed;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            parsed = JsonNode.Parse(Convert.FromBase64String(base64)) as JsonObject;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Invalid(e.Message);
        }
        if ((string?)parsed?["v"] != "meta.k8s.io/v1")
            throw Invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        if (parsed["rv"] is not JsonValue rv || !rv.TryGetValue(out long resourceVersion) || resourceVersion <= 0)
            throw Invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        var start = (string?)parsed["start"] ?? "";
        if (start.StartsWith('/') || start.Contains(".."))
            throw Invalid("continue key is not valid");
        return (resourceVersion, start);
    }

    private static KubeApiException Invalid(string why) => Status.BadRequest($"continue key is not valid: {why}");
}
