using System.Text.RegularExpressions;
using Canal.Node.Hosting;

namespace Canal.Tests.Deploy;

/// <summary>The environment variables <c>canal run</c> reads: <c>Canal__</c> and a setting's name, a list's with <c>__N</c>.</summary>
internal static partial class ControllerSettings
{
    // The management API and cluster bootstrap: the deploy files set them ahead of the issues that read them.
    private static readonly string[] Coming =
        ["ManagementHost", "ManagementPort", "ManagementTokenFile", "Bootstrap__Enabled", "Bootstrap__LabelSelector", "Bootstrap__RequiredContactPoints"];

    public static bool IsSetting(string variable)
    {
        var match = Variable().Match(variable);
        if (!match.Success)
            return false;
        var (name, isList) = (match.Groups[1].Value, match.Groups[2].Success);
        var property = typeof(CanalNodeOptions).GetProperty(name);
        return property != null ? isList == (property.PropertyType == typeof(List<string>)) : !isList && Coming.Contains(name);
    }

    [GeneratedRegex(@"^Canal__(.+?)(__\d+)?$")]
    private static partial Regex Variable();
}
