using System.Security.Cryptography;
using System.Text;
using Canal.DnsWriter;

namespace Canal.Node.Local;

/// <summary>
/// A Corefile on disk as the DNS store. The version is a hash of the content; a write whose expected
/// version no longer matches the file is a conflict, and writes replace the file atomically (write a
/// temporary file next to it, then rename), so CoreDNS's reload never sees half a file.
/// </summary>
internal sealed class CorefileFileStore(string path, string clusterDomain) : IDnsConfigStore
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public string Description => path;

    public async Task<DnsConfig> ReadAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
                Replace(DefaultCorefile.For(clusterDomain));
            var content = await File.ReadAllTextAsync(path, cancellationToken);
            return new DnsConfig(content, VersionOf(content));
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<DnsWriteResult> WriteAsync(string content, string expectedVersion, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var current = File.Exists(path) ? VersionOf(await File.ReadAllTextAsync(path, cancellationToken)) : "";
            if (current != expectedVersion)
                return new DnsWriteResult.Conflict($"{path} changed since it was read");
            Replace(content);
            return new DnsWriteResult.Written(VersionOf(content));
        }
        finally
        {
            _lock.Release();
        }
    }

    public static string VersionOf(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))[..16];

    private void Replace(string content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
