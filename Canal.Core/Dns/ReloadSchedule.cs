using System.Globalization;
using System.Text.RegularExpressions;

namespace Canal.Dns;

/// <summary>
/// How often CoreDNS's <c>reload</c> looks at the Corefile: every <see cref="Interval"/> ± <see cref="Jitter"/>
/// (its defaults 30 s and 15 s; at least 2 s and 1 s; a jitter over half the interval is cut to half). After kubelet
/// has updated the file a replica serves it within interval + jitter.
/// </summary>
public sealed partial record ReloadSchedule(TimeSpan Interval, TimeSpan Jitter)
{
    public static readonly ReloadSchedule Default = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(15));

    /// <summary>The schedule of <c>reload [INTERVAL [JITTER]]</c>; arguments that are not durations count as the defaults, as CoreDNS would refuse them.</summary>
    public static ReloadSchedule Of(IReadOnlyList<string> arguments)
    {
        var interval = arguments.Count > 0 && Duration(arguments[0]) is { } i ? Max(i, TimeSpan.FromSeconds(2)) : Default.Interval;
        var jitter = arguments.Count > 1 && Duration(arguments[1]) is { } j ? Max(j, TimeSpan.FromSeconds(1)) : Default.Jitter;
        return new ReloadSchedule(interval, jitter > interval / 2 ? interval / 2 : jitter);
    }

    /// <summary>What to expect of a Corefile's <paramref name="reload"/> (null: none, or not known in custom mode).</summary>
    public static string Describe(ReloadSchedule? reload, DnsMode mode) =>
        reload?.Describe()
        ?? (mode == DnsMode.Custom ? "not known: in custom mode the Corefile that imports Canal's file is not Canal's to read"
            : "none: the Corefile has no 'reload', so CoreDNS reads it only when it starts (add 'reload 5s' to its cluster block)");

    /// <summary>What to expect of it, and how to shorten it when it is reload's default or longer.</summary>
    public string Describe()
    {
        var said = $"every {Seconds(Interval)} ± {Seconds(Jitter)}{(this == Default ? " (reload's default)" : "")}";
        return Interval < Default.Interval
            ? $"{said}: a replica serves a write within {Seconds(Interval + Jitter)} of kubelet updating its file"
            : $"{said}: a replica can take {Seconds(Interval + Jitter)} after kubelet updates its file to serve a write; 'reload 5s' in the Corefile shortens that to 7.5 s";
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A Go duration such as <c>30s</c>, <c>1m30s</c> or <c>500ms</c>; null when it is not one.</summary>
    private static TimeSpan? Duration(string text)
    {
        var parts = GoDuration().Matches(text);
        if (parts.Count == 0 || parts.Sum(p => p.Length) != text.Length)
            return null;
        return parts.Aggregate(TimeSpan.Zero, (sum, p) => sum + double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture) * p.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(1),
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            _ => TimeSpan.FromHours(1),
        });
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h)")]
    private static partial Regex GoDuration();
}
