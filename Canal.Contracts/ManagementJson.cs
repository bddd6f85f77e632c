using System.Text.Encodings.Web;
using System.Text.Json;

namespace Canal.Contracts;

/// <summary>How the management API's bodies are written and read, on both ends.</summary>
public static class ManagementJson
{
    /// <summary>
    /// Every field is written, nulls included, and read back strictly: a field the client expects and the server
    /// no longer sends fails to deserialize instead of printing a blank column. Text stays readable (<c>-></c>, not <c>\u003E</c>).
    /// </summary>
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions());

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.RespectRequiredConstructorParameters = true;
        options.RespectNullableAnnotations = true;
        return options;
    }
}
