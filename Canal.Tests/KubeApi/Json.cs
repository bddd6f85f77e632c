using System.Text.Encodings.Web;
using System.Text.Json;

namespace Canal.Tests.KubeApi;

/// <summary>How the emulator writes JSON: compact, and with quotes and non-ASCII text left readable in stored revisions.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
