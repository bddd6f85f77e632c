namespace Canal.Tests.Support;

/// <summary>A Corefile as <c>canal render</c> gives it: without the write marker each write adds (<see cref="Canal.Dns.WriteMarker"/>).</summary>
internal static class WriteMarkers
{
    public static string Without(string corefile) =>
        string.Concat(corefile.Split('\n').Select((line, i) => (line, i))
            .Where(l => !l.line.Contains($".{Canal.Dns.WriteMarker.Zone}.", StringComparison.Ordinal))
            .Select(l => l.i == 0 ? l.line : "\n" + l.line)).TrimStart('\n');
}
