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
    private bool _byteOrderMark;

    public string Description => path;

    public async Task<DnsConfig> ReadAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
                Replace(DefaultCorefile.For(clusterDomain));
            var content = await Read(cancellationToken);
            return new DnsConfig(content, VersionOf(content));
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <remarks>A file has no room for the fence; local mode runs one node.</remarks>
    public async Task<DnsWriteResult> WriteAsync(string content, string expectedVersion, long fence, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var current = File.Exists(path) ? VersionOf(await Read(cancellationToken)) : "";
            if (current != expectedVersion)
                return new DnsWriteResult.Conflict($"{path} changed since it was read");
            if (File.Exists(path) && !File.Exists(BackupPath))
                File.Copy(path, BackupPath);
            Replace(content);
            return new DnsWriteResult.Written(VersionOf(content));
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The Corefile as it was before Canal's first change, kept next to it.</summary>
    private string BackupPath => path + ".canal-backup";

    public async Task<(bool Restored, string Message)> RestoreBackupAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(BackupPath))
                return (false, $"there is no {BackupPath}: Canal never changed {path}");
            File.Copy(BackupPath, path, overwrite: true);
            return (true, $"{path} restored from {BackupPath}");
        }
        finally
        {
            _lock.Release();
        }
    }

    public static string VersionOf(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))[..16];

    private async Task<string> Read(CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        // A byte-order mark is outside Canal's section too: remember it and write it back.
        _byteOrderMark = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble);
        return new UTF8Encoding(false).GetString(bytes.AsSpan(_byteOrderMark ? Encoding.UTF8.Preamble.Length : 0));
    }

    private void Replace(string content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            if (_byteOrderMark)
                file.Write(Encoding.UTF8.Preamble);
            file.Write(new UTF8Encoding(false).GetBytes(content));
            // On disk before the rename, so a crash leaves the old file or the new one, never an empty one.
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
