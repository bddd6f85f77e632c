using System.Text;
using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>
/// Reads the protobuf bodies kubectl's typed commands send (<c>kubectl create configmap</c>, <c>kubectl create
/// namespace</c>): the "k8s\0" envelope around a runtime.Unknown, then a ConfigMap or Namespace with its ObjectMeta.
/// Only the fields a create can carry are read; anything else in the body is refused rather than dropped.
/// </summary>
internal static class Protobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static bool CanDecode(ResourceType type) => !type.Custom && type.Kind is "ConfigMap" or "Namespace";

    public static JsonObject Decode(ResourceType type, byte[] body)
    {
        if (!body.AsSpan().StartsWith(Magic))
            throw Status.BadRequest("the protobuf body does not start with the Kubernetes magic number");
        JsonObject? obj = null;
        string? apiVersion = null, kind = null;
        foreach (var (field, value) in Fields(body.AsMemory(Magic.Length)))
        {
            switch (field)
            {
                case 1:
                    foreach (var (f, v) in Fields(value.Bytes))
                    {
                        if (f == 1) apiVersion = v.Text;
                        if (f == 2) kind = v.Text;
                    }
                    break;
                case 2:
                    obj = type.Kind == "ConfigMap" ? ConfigMap(value.Bytes) : Namespace(value.Bytes);
                    break;
            }
        }
        obj ??= new JsonObject();
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    private static JsonObject ConfigMap(ReadOnlyMemory<byte> bytes)
    {
        var obj = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case 1: obj["metadata"] = ObjectMeta(value.Bytes); break;
                case 2: MapEntry(obj, "data", value.Bytes, binary: false); break;
                case 3: MapEntry(obj, "binaryData", value.Bytes, binary: true); break;
                case 4: obj["immutable"] = value.Number != 0; break;
                default: throw Unsupported("ConfigMap", field);
            }
        }
        return obj;
    }

    private static JsonObject Namespace(ReadOnlyMemory<byte> bytes)
    {
        var obj = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case 1: obj["metadata"] = ObjectMeta(value.Bytes); break;
                // An empty spec and status are all a create sends; the server fills them in.
                case 2 or 3 when Fields(value.Bytes).All(f => f.Value.Bytes.Length == 0): break;
                default: throw Unsupported("Namespace", field);
            }
        }
        return obj;
    }

    private static JsonObject ObjectMeta(ReadOnlyMemory<byte> bytes)
    {
        var metadata = new JsonObject();
        string[] names = ["", "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion"];
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case >= 1 and <= 6:
                    if (value.Text != "")
                        metadata[names[field]] = value.Text;
                    break;
                case 7 or 8 or 10:
                    // generation, creationTimestamp, deletionGracePeriodSeconds: the server sets these itself.
                    break;
                case 11: MapEntry(metadata, "labels", value.Bytes, binary: false); break;
                case 12: MapEntry(metadata, "annotations", value.Bytes, binary: false); break;
                case 14:
                    if (metadata["finalizers"] is not JsonArray finalizers)
                        metadata["finalizers"] = finalizers = [];
                    finalizers.Add(value.Text);
                    break;
                default: throw Unsupported("ObjectMeta", field);
            }
        }
        return metadata;
    }

    private static void MapEntry(JsonObject owner, string name, ReadOnlyMemory<byte> entry, bool binary)
    {
        string key = "";
        JsonNode? value = "";
        foreach (var (field, v) in Fields(entry))
        {
            if (field == 1) key = v.Text;
            if (field == 2) value = binary ? Convert.ToBase64String(v.Bytes.Span) : v.Text;
        }
        if (owner[name] is not JsonObject map)
            owner[name] = map = [];
        map[key] = value;
    }

    private static KubeApiException Unsupported(string message, int field) =>
        Status.BadRequest($"the emulator reads no protobuf field {field} of {message}: send JSON instead");

    /// <summary>One field's value: a varint, or the bytes of a length-delimited field.</summary>
    private readonly record struct Value(ulong Number, ReadOnlyMemory<byte> Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes.Span);
    }

    /// <summary>The fields of one message, in wire order (wire types 0 and 2: all these messages use).</summary>
    private static IEnumerable<(int Field, Value Value)> Fields(ReadOnlyMemory<byte> message)
    {
        var at = 0;
        while (at < message.Length)
        {
            var tag = Varint(message.Span, ref at);
            var (field, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            switch (wireType)
            {
                case 0:
                    yield return (field, new Value(Varint(message.Span, ref at), ReadOnlyMemory<byte>.Empty));
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref at);
                    yield return (field, new Value(0, message.Slice(at, length)));
                    at += length;
                    break;
                default:
                    throw Status.BadRequest($"unexpected protobuf wire type {wireType}");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[at++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return result;
        }
    }
}
