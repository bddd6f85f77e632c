using System.CommandLine;

namespace Canal.Cmd;

/// <summary>Where the management API is and how to be let in: taken by every command (recursive), read by <see cref="Connection"/>.</summary>
internal static class ConnectionOptions
{
    public static readonly Option<string?> Endpoint = new("--endpoint")
    {
        Description = "The management API, host:port (default $CANAL_ENDPOINT, else 127.0.0.1:9110); also accepted as the first word.",
        Recursive = true,
    };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "The bearer token itself (--token-file keeps it out of shell history).",
        Recursive = true,
    };

    public static readonly Option<FileInfo?> TokenFile = new("--token-file")
    {
        Description = "A file holding the bearer token (the server's --management-token-file); default $CANAL_TOKEN.",
        Recursive = true,
    };

    public static readonly Option<string?> Pod = new("--pod")
    {
        Description = "Reach the API of this pod through kubectl port-forward (as a kubectl plugin).",
        Recursive = true,
    };

    public static readonly Option<string?> PodNamespace = new("--pod-namespace")
    {
        Description = "The namespace of --pod (default: kubectl's current namespace).",
        Recursive = true,
    };
}
