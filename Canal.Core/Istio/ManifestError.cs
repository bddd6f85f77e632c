namespace Canal.Istio;

/// <summary>
/// A manifest Canal could not use, located as precisely as the input allows:
/// <c>vs.yaml, document 2, spec.http[0].route[0].destination.host: is required</c>.
/// </summary>
public sealed record ManifestError(string Source, int? Document, string? Field, string Message)
{
    public override string ToString()
    {
        var where = Source;
        if (Document is { } document)
            where += $", document {document}";
        if (!string.IsNullOrEmpty(Field))
            where += $", {Field}";
        return $"{where}: {Message}";
    }
}

/// <summary>Thrown while decoding one document; caught per document so the others still count.</summary>
internal sealed class ManifestFieldException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
