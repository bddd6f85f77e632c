using System.Text.Json;
using System.Text.Json.Serialization;
using Canal.Istio;

namespace Canal.Node.Management;

/// <summary>The management API writes object keys as people do: <c>namespace/name</c>.</summary>
internal sealed class ObjectKeyJsonConverter : JsonConverter<ObjectKey>
{
    public override ObjectKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ObjectKey.Parse(reader.GetString() ?? "", "");

    public override void Write(Utf8JsonWriter writer, ObjectKey value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());

    public override ObjectKey ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Read(ref reader, typeToConvert, options);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, ObjectKey value, JsonSerializerOptions options) => writer.WritePropertyName(value.ToString());
}
