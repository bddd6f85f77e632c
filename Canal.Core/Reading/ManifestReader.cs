using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Canal.Istio;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Canal.Reading;

/// <summary>
/// Reads YAML (several documents, <c>kind: List</c>) or JSON manifests into Canal's model. YAML is turned
/// into JSON first so that manifests from files and objects from the Kubernetes API share one decoder.
/// </summary>
public static partial class ManifestReader
{
    public static Manifests Read(string text, string source)
    {
        List<Document> documents;
        if (LooksLikeJson(text))
        {
            try
            {
                using var json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                documents = [new Document(json.RootElement.Clone(), null)];
            }
            // YAML's flow style starts with '{' or '[' too ({apiVersion: v1, …}): only text that is not YAML either is bad JSON.
            catch (JsonException) when (LoadYaml(text, 0).Documents is { } yaml)
            {
                documents = yaml;
            }
            catch (JsonException e)
            {
                return Manifests.Empty with { Errors = [new ManifestError(source, null, null, $"not valid JSON at line {e.LineNumber + 1}: {e.Message}")] };
            }
        }
        else
        {
            documents = ReadYaml(text);
        }

        var result = Manifests.Empty;
        for (var i = 0; i < documents.Count; i++)
        {
            result = result.Concat(documents[i].SyntaxError is { } error
                ? Manifests.Empty with { Errors = [new ManifestError(source, i + 1, null, error)] }
                : ManifestDocument.Decode(documents[i].Json, source, i + 1));
        }
        return result;
    }

    /// <summary>One document of a file: its content, or why it is not valid YAML.</summary>
    private sealed record Document(JsonElement Json, string? SyntaxError);

    private static List<Document> ReadYaml(string text)
    {
        if (LoadYaml(text, 0) is { Documents: { } all })
            return all;
        // A syntax error: load the documents one by one, split at the '---' lines that start them (as kubectl
        // splits a file; YAML forbids such a line inside a document), so the error loses only its own document.
        var documents = new List<Document>();
        var lineOffset = 0;
        foreach (var part in DocumentStart().Split(text))
        {
            var (loaded, error) = LoadYaml(part, lineOffset);
            documents.AddRange(loaded ?? [new Document(default, error)]);
            lineOffset += part.Count(c => c == '\n');
        }
        return documents;
    }

    /// <summary>Loads a YAML stream whose first line is line <paramref name="lineOffset"/> + 1 of its file.</summary>
    private static (List<Document>? Documents, string? Error) LoadYaml(string text, int lineOffset)
    {
        var scanner = new Scanner(new StringReader(text));
        var stream = new YamlStream();
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            return (null, $"not valid YAML at line {lineOffset + e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        // YamlDotNet throws this instead of a YamlException for a flow collection left open across
        // indented lines (`name: [a` followed by `  b`): still a syntax error in the file, not a crash.
        catch (InvalidOperationException)
        {
            return (null, $"not valid YAML at line {lineOffset + scanner.CurrentPosition.Line}, column {scanner.CurrentPosition.Column}: the parser gave up here (look for a '[' or '{{' that is not closed)");
        }
        return ([.. stream.Documents.Select(d => new Document(ToJson(d.RootNode), null))], null);
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

    [GeneratedRegex(@"(?=^---(?:[ \t]|\r?$))", RegexOptions.Multiline)]
    private static partial Regex DocumentStart();

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
