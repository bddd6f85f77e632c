using System.Buffers;
using System.Net;
using System.Text;

namespace Canal.Istio;

/// <summary>
/// Host-name rules: what a VirtualService destination means as a fully qualified name, and whether it
/// may reach a Corefile. Only lowercase RFC 1123 names inside the cluster domain pass, so no
/// VirtualService can smuggle a CoreDNS directive, brace, quote or comment into the configuration.
/// </summary>
public static class HostName
{
    private const int MaxNameLength = 253;
    private const int MaxLabelLength = 63;
    private static readonly SearchValues<char> NameCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");

    /// <summary>
    /// Completes <paramref name="host"/> as Istio does (a name without dots is short: <c>reviews</c> becomes
    /// <c>reviews.NAMESPACE.svc.DOMAIN</c>; any name with a dot is taken as written) and validates the result.
    /// <c>reviews.ns</c> is not completed although a pod's search path would: Istio looks it up as written, finds
    /// no such service and drops the traffic, so the gateway would not route it.
    /// </summary>
    public static HostResolution Resolve(string host, string defaultNamespace, string clusterDomain)
    {
        if (string.IsNullOrEmpty(host))
            return HostResolution.Skip("empty host");
        if (host.Contains('*'))
            return HostResolution.Skip($"{Quote(host)} is a wildcard; DNS redirects need exact names");
        if (IsIpAddress(host))
            return HostResolution.Skip($"{Quote(host)} is an IP address, not a name");
        // An index, not FirstOrDefault: NUL is default(char), and would pass as "nothing invalid found".
        var invalid = host.AsSpan().IndexOfAnyExcept(NameCharacters);
        if (invalid >= 0)
            return HostResolution.Skip($"{Quote(host)} contains {Describe(host[invalid])}, which a DNS name cannot");

        var name = host.ToLowerInvariant();
        var absolute = name.EndsWith('.');
        if (absolute)
            name = name[..^1];
        var labels = name.Split('.');
        var labelError = labels.Select(CheckLabel).FirstOrDefault(e => e != null);
        if (labelError != null)
            return HostResolution.Skip($"{Quote(host)}: {labelError}");

        if (!absolute && labels.Length == 1)
            name = ServiceFqdn(new ObjectKey(defaultNamespace, name), clusterDomain);

        if (!name.EndsWith("." + clusterDomain, StringComparison.Ordinal))
        {
            // reviews.ns and reviews.ns.svc look like a Service, and a pod's search path would find it; Istio would not.
            var serviceLike = !absolute && (labels.Length == 2 || labels.Length == 3 && labels[2] == "svc");
            return HostResolution.Skip(serviceLike
                ? $"{Quote(host)} is outside the cluster domain {clusterDomain}: Istio takes a name with dots as written and has no service of that name, so the gateway would drop the traffic; write {labels[0]}.{labels[1]}.svc.{clusterDomain} if Service {labels[1]}/{labels[0]} is meant"
                : $"{Quote(host)} is outside the cluster domain {clusterDomain}; Istio takes a name with dots as written");
        }
        if (name.Length > MaxNameLength)
            return HostResolution.Skip($"{Quote(host)} is longer than {MaxNameLength} characters once completed");
        // The namespace a short name is completed with comes from the manifest (unchecked in local mode), so check the whole name.
        if (!IsValidDomain(name))
            return HostResolution.Skip($"{Quote(host)} completes to {Quote(name)}, which is not a lowercase DNS name (check the namespace)");
        return HostResolution.Accept(name);
    }

    /// <summary>True for <c>localhost</c> and loopback addresses: only this machine reaches what listens there.</summary>
    public static bool IsLoopback(string host) =>
        host == "localhost" || System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip);

    /// <summary>True when <paramref name="domain"/> is a lowercase RFC 1123 name such as <c>cluster.local</c>.</summary>
    public static bool IsValidDomain(string domain)
    {
        // A loop, not LINQ: every redirect's host is checked again on every write.
        if (domain.Length is 0 or > MaxNameLength)
            return false;
        var labelStart = 0;
        for (var i = 0; i <= domain.Length; i++)
        {
            var c = i < domain.Length ? domain[i] : '.';
            if (c == '.')
            {
                var length = i - labelStart;
                if (length is 0 or > MaxLabelLength || domain[labelStart] == '-' || domain[i - 1] == '-')
                    return false;
                labelStart = i + 1;
            }
            else if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The name a Kubernetes Service answers to: <c>name.namespace.svc.DOMAIN</c>.</summary>
    public static string ServiceFqdn(ObjectKey service, string clusterDomain) =>
        $"{service.Name}.{service.Namespace}.svc.{clusterDomain}";

    /// <summary>
    /// The Service a fully qualified host names (<c>name.ns.svc.DOMAIN</c>), or null for other names in
    /// the domain (pod names, headless-subdomain names), whose ports Canal cannot know.
    /// </summary>
    public static ObjectKey? ServiceOf(string fqdn, string clusterDomain)
    {
        var suffix = ".svc." + clusterDomain;
        if (!fqdn.EndsWith(suffix, StringComparison.Ordinal))
            return null;
        var parts = fqdn[..^suffix.Length].Split('.');
        return parts.Length == 2 ? new ObjectKey(parts[1], parts[0]) : null;
    }

    /// <summary>The namespace a host belongs to: the label before <c>svc</c>, else <paramref name="fallback"/>.</summary>
    public static string NamespaceOf(string fqdn, string clusterDomain, string fallback)
    {
        var labels = fqdn[..^(clusterDomain.Length + 1)].Split('.');
        var svc = Array.LastIndexOf(labels, "svc");
        return svc > 0 ? labels[svc - 1] : fallback;
    }

    /// <summary>Quotes a user-supplied string for a one-line message, escaping control characters.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value.Length > 80 ? value[..80] + "…" : value)
        {
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '"' => "\\\"",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    private static string? CheckLabel(string label)
    {
        if (label.Length == 0)
            return "has an empty label";
        if (label.Length > MaxLabelLength)
            return $"label \"{label[..16]}…\" is longer than {MaxLabelLength} characters";
        if (label[0] == '-' || label[^1] == '-')
            return $"label \"{label}\" starts or ends with '-'";
        return null;
    }

    private static bool IsIpAddress(string host) =>
        host.Contains(':')
            ? IPAddress.TryParse(host.Trim('[', ']'), out _)
            : host.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        '\n' or '\r' => "a line break",
        '\t' => "a tab",
        _ when char.IsControl(c) => $"control character U+{(int)c:X4}",
        _ => $"'{c}'",
    };
}

/// <summary>The outcome of <see cref="HostName.Resolve"/>: a fully qualified name, or why there is none.</summary>
public readonly record struct HostResolution(string? Fqdn, string? SkipReason)
{
    public static HostResolution Accept(string fqdn) => new(fqdn, null);
    public static HostResolution Skip(string reason) => new(null, reason);
}
