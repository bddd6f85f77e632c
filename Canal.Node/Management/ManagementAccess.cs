using System.Net;
using System.Security.Cryptography;
using System.Text;
using Canal.Istio;
using Microsoft.AspNetCore.Http;

namespace Canal.Node.Management;

/// <summary>
/// Who may call the management API. Reads need no credentials while it listens on loopback only; on any
/// other address every call needs the bearer token, and calls that change something always do. With no
/// token configured those calls are refused: nothing is done without it.
/// </summary>
internal sealed class ManagementAccess(string? token, bool loopbackOnly)
{
    /// <summary>The address the management API listens on (<c>localhost</c> is the loopback address).</summary>
    public static System.Net.IPAddress Endpoint(string host) =>
        host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.Parse(host);

    public static ManagementAccess Create(string host, string? tokenFile)
    {
        var token = string.IsNullOrWhiteSpace(tokenFile) ? null : File.ReadAllText(tokenFile).Trim();
        if (token is { Length: 0 })
            throw new InvalidOperationException($"the management token file {tokenFile} is empty");
        var loopback = HostName.IsLoopback(host);
        if (!loopback && token == null)
            throw new InvalidOperationException($"the management API listens on {host}, beyond this machine: give it a token (--management-token-file)");
        return new ManagementAccess(token, loopback);
    }

    /// <summary>Null when allowed; otherwise why not (answered with 401).</summary>
    public string? Refusal(HttpRequest request)
    {
        var changes = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method);
        if (!changes && loopbackOnly)
            return null;
        if (token == null)
            return "this call changes something and needs the management token, but none is configured (--management-token-file)";
        var given = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!given.StartsWith(scheme, StringComparison.Ordinal))
            return "missing bearer token (canal-cmd --token-file FILE)";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token))
            ? null
            : "wrong token";
    }
}
