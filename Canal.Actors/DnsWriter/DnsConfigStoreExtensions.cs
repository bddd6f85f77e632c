namespace Canal.DnsWriter;

public static class DnsConfigStoreExtensions
{
    private const int Attempts = 10;

    /// <summary>
    /// Reads, transforms and writes back at the version read, again on a conflict (for one-off edits such as
    /// purge and restore, outside the DnsWriter). True when something changed.
    /// </summary>
    public static async Task<bool> RewriteAsync(this IDnsConfigStore store, Func<string, string> transform, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var config = await store.ReadAsync(cancellationToken);
            var updated = transform(config.Content);
            if (updated == config.Content)
                return false;
            if (await store.WriteAsync(updated, config.Version, config.Fence, cancellationToken) is DnsWriteResult.Written)
                return true;
        }
        throw new InvalidOperationException($"{store.Description} kept changing under us; try again");
    }
}
