namespace Canal.Tests.KubeApi;

/// <summary>
/// A resource URL taken apart: /api/v1[/namespaces/NS]/RESOURCE[/NAME] or /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME].
/// A null <see cref="Resource"/> is the group version's discovery document.
/// </summary>
internal sealed record ResourcePath(string Group, string Version, string? Namespace, string? Resource, string? Name)
{
    /// <summary>Null when the path is no API path at all (or names a subresource, which is not emulated).</summary>
    public static ResourcePath? Parse(string path)
    {
        var segments = path.Trim('/').Split('/');
        string group, version;
        string[] rest;
        switch (segments)
        {
            case ["api", var v, .. var r]:
                (group, version, rest) = ("", v, r);
                break;
            case ["apis", var g, var v, .. var r]:
                (group, version, rest) = (g, v, r);
                break;
            default:
                return null;
        }
        return rest switch
        {
            [] => new ResourcePath(group, version, null, null, null),
            ["namespaces", var ns, var resource] => new ResourcePath(group, version, ns, resource, null),
            ["namespaces", var ns, var resource, var name] => new ResourcePath(group, version, ns, resource, name),
            [var resource] => new ResourcePath(group, version, null, resource, null),
            [var resource, var name] => new ResourcePath(group, version, null, resource, name),
            _ => null,
        };
    }
}
