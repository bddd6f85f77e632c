namespace Canal.Dns;

/// <summary>A Corefile Canal must not touch: malformed, or without a block it can edit. The message says what to fix.</summary>
public sealed class CorefileException(string message, int? line = null)
    : Exception(line is { } l ? $"line {l}: {message}" : message)
{
    public int? Line { get; } = line;
}
