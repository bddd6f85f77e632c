namespace Canal.Dns;

/// <summary>
/// A name only one write's section answers (<c>w17-mkq3x9d2a1.canal-write.cluster.local</c>, sent to the gateway like a
/// redirect): a replica that answers it serves that write, even when no real name answers differently. It cannot be a
/// Service's or a Pod's name: the kubernetes plugin answers two labels under the cluster domain only when the second is
/// <c>svc</c> or <c>pod</c>, so every name under <c>canal-write.DOMAIN</c> is NXDOMAIN without Canal's line, and the
/// line changes nothing else. The stamp (clock ticks, new for every attempt to write) keeps a write number that starts
/// again with a new DnsWriter, or a write whose answer was lost, from naming a marker a Corefile already had.
/// </summary>
internal static partial class WriteMarker
{
    public const string Zone = "canal-write";

    public static string Name(long write, long stamp, string clusterDomain) => $"w{write}-{Base36(stamp)}.{Zone}.{clusterDomain}";

    /// <summary>True for a name as <see cref="Name"/> makes them (not a Service of a namespace named canal-write).</summary>
    public static bool Is(string host) => host.Contains(Zone, StringComparison.Ordinal) && Shape().IsMatch(host);

    /// <summary>True for any name under <c>canal-write.DOMAIN</c>: kept for markers, never redirected.</summary>
    public static bool InZone(string host, string clusterDomain) => host.EndsWith($".{Zone}.{clusterDomain}", StringComparison.Ordinal);

    /// <summary>The label of a marker name: its write number and stamp.</summary>
    public static string Label(string marker) => marker[..marker.IndexOf('.')];

    /// <summary>The marker in Canal's section (or custom file) of <paramref name="text"/>; null when it has none.</summary>
    public static string? In(string text)
        => CorefileUpdate.SectionRedirects(text).Select(r => r.Host).FirstOrDefault(Is);

    // Nothing after canal-write is svc or pod: w1-0.canal-write.apps.svc.DOMAIN is a StatefulSet's pod, not a marker.
    [System.Text.RegularExpressions.GeneratedRegex(@"^w\d+-[0-9a-z]+\.canal-write\.(?!(?:[^.]+\.)*(?:svc|pod)\.)")]
    private static partial System.Text.RegularExpressions.Regex Shape();

    private static string Base36(long value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var chars = new Stack<char>();
        var rest = (ulong)value;
        do
        {
            chars.Push(digits[(int)(rest % 36)]);
            rest /= 36;
        }
        while (rest > 0);
        return new string([.. chars]);
    }
}
