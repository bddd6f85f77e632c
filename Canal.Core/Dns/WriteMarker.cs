namespace Canal.Dns;

/// <summary>
/// A name only one write's section answers (<c>w17-mkq3x9d2a1.canal-write.cluster.local</c>, sent to the gateway like a
/// redirect): a replica that answers it serves that write, even when no real name answers differently. It cannot be a
/// Service's or a Pod's name: the kubernetes plugin answers two labels under the cluster domain only when the second is
/// <c>svc</c> or <c>pod</c>, so every name under <c>canal-write.DOMAIN</c> is NXDOMAIN without Canal's line, and the
/// line changes nothing else. The stamp (clock ticks) keeps a write number that starts again with a new DnsWriter from
/// naming a marker an older Corefile had.
/// </summary>
internal static class WriteMarker
{
    public const string Zone = "canal-write";

    public static string Name(long write, long stamp, string clusterDomain) => $"w{write}-{Base36(stamp)}.{Zone}.{clusterDomain}";

    /// <summary>True for a name under <c>canal-write.</c> right below its first label: a marker, never a redirect.</summary>
    public static bool Is(string host)
    {
        var dot = host.IndexOf('.');
        return dot > 0 && host.AsSpan(dot + 1).StartsWith(Zone + ".", StringComparison.Ordinal);
    }

    /// <summary>The marker in Canal's section (or custom file) of <paramref name="text"/>; null when it has none.</summary>
    public static string? In(string text)
    {
        foreach (var words in CorefileUpdate.SectionLines(text).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (words is ["rewrite", "name", "exact", var host, _] && Is(host))
                return host;
            if (words is [_, var name] && Is(name))
                return name;
        }
        return null;
    }

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
