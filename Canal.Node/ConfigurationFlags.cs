using System.CommandLine;
using System.Globalization;

namespace Canal.Node;

/// <summary>
/// Flags that stand for keys of the "Canal" configuration section: a flag given on the command line overrides
/// appsettings.json and the environment; one not given leaves them alone.
/// </summary>
internal sealed class ConfigurationFlags
{
    private readonly List<Func<ParseResult, IEnumerable<KeyValuePair<string, string?>>>> _readers = [];

    /// <summary><paramref name="option"/> sets <c>Canal:<paramref name="key"/></c>, written by <paramref name="format"/> (default: as it is).</summary>
    public Option<T> Add<T>(Option<T> option, string key, Func<T, string?>? format = null)
    {
        _readers.Add(result => result.GetResult(option) is { Implicit: false } && result.GetValue(option) is { } value
            ? [new($"Canal:{key}", format != null ? format(value) : Convert.ToString(value, CultureInfo.InvariantCulture))]
            : []);
        return option;
    }

    /// <summary>A repeatable <paramref name="option"/>: each value is one element of the list <c>Canal:<paramref name="key"/></c>.</summary>
    public Option<string[]> AddList(Option<string[]> option, string key)
    {
        _readers.Add(result => (result.GetValue(option) ?? []).Select((value, i) => new KeyValuePair<string, string?>($"Canal:{key}:{i}", value)));
        return option;
    }

    public IEnumerable<KeyValuePair<string, string?>> Read(ParseResult result) => _readers.SelectMany(read => read(result));
}
