using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Canal.Istio;

/// <summary>
/// Reads YAML (several documents, <c>kind: List</c>) or JSON manifests into Canal's model. YAML is turned
/// into JSON first so that manifests from files and objects from the Kubernetes API share one decoder.
/// </summary>
public static partial class ManifestReader
{
    public static Manifests Read(string text, string source)
    {
        var documents = new List<JsonElement>();
        try
        {
            if (LooksLikeJson(text))
            {
                using var json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                documents.Add(json.RootElement.Clone());
            }
            else
            {
                var scanner = new Scanner(new StringReader(text));
                var stream = new YamlStream();
                try
                {
                    stream.Load(new Parser(scanner));
                }
                // YamlDotNet throws this instead of a YamlException for a flow collection left open across
                // indented lines (`name: [a` followed by `  b`): still a syntax error in the file, not a crash.
                catch (InvalidOperationException)
                {
                    return Manifests.Empty with { Errors = [new ManifestError(source, null, null, $"not valid YAML at line {scanner.CurrentPosition.Line}, column {scanner.CurrentPosition.Column}: the parser gave up here (look for a '[' or '{{' that is not closed)")] };
                }
                documents.AddRange(stream.Documents.Select(d => ToJson(d.RootNode)));
            }
        }
        catch (YamlException e)
        {
            return Manifests.Empty with { Errors = [new ManifestError(source, null, null, $"not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}")] };
        }
        catch (JsonException e)
        {
            return Manifests.Empty with { Errors = [new ManifestError(source, null, null, $"not valid JSON at line {e.LineNumber + 1}: {e.Message}")] };
        }

        var result = Manifests.Empty;
        for (var i = 0; i < documents.Count; i++)
            result = result.Concat(ManifestDecoder.Decode(documents[i], source, i + 1));
        return result;
    }

    private static bool LooksLikeJson(string text)
    {
        var first = text.AsSpan().TrimStart();
        return first.Length > 0 && (first[0] == '{' || first[0] == '[');
    }

    private static JsonElement ToJson(YamlNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, node);
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(key is YamlScalarNode scalarKey ? scalarKey.Value ?? "" : key.ToString());
                    Write(writer, value);
                }
                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                    Write(writer, item);
                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                WriteScalar(writer, scalar);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    // Plain scalars are typed by the YAML core schema; quoted ones and explicit !!str stay strings.
    private static void WriteScalar(Utf8JsonWriter writer, YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain || (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == "tag:yaml.org,2002:str"))
        {
            writer.WriteStringValue(value);
            return;
        }
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                writer.WriteNullValue();
                return;
            case "true" or "True" or "TRUE":
                writer.WriteBooleanValue(true);
                return;
            case "false" or "False" or "FALSE":
                writer.WriteBooleanValue(false);
                return;
        }
        if (IntegerPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            writer.WriteNumberValue(integer);
        else if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
            writer.WriteNumberValue(real);
        else
            writer.WriteStringValue(value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
