using System.Globalization;

namespace Canal.Tests.Support;

/// <summary>Reads samples out of a Prometheus text exposition, whatever order the labels are written in.</summary>
public static class PrometheusText
{
    /// <summary>The value of the sample <paramref name="name"/> whose labels are exactly <paramref name="labels"/>; null when there is none.</summary>
    public static double? Value(string exposition, string name, params (string Name, string Value)[] labels)
    {
        var wanted = labels.Select(l => $"{l.Name}=\"{l.Value}\"").Order(StringComparer.Ordinal).ToList();
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal))
                continue;
            var rest = line[name.Length..];
            var labelText = "";
            if (rest.StartsWith('{'))
            {
                var close = rest.IndexOf('}');
                labelText = rest[1..close];
                rest = rest[(close + 1)..];
            }
            if (!rest.StartsWith(' '))
                continue;
            var have = labelText.Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
            if (have.SequenceEqual(wanted))
                return double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return null;
    }
}
