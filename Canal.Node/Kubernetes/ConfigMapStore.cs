using System.Net;
using Canal.Dns;
using Canal.DnsWriter;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>
/// One key of a ConfigMap as the DNS store: <c>kube-system/coredns</c>'s Corefile, or Canal's own key in
/// <c>coredns-custom</c> (custom mode, created when missing). Writes replace the ConfigMap at the
/// resourceVersion that was read, so a concurrent edit is a conflict, never overwritten. Before the first
/// change to a Corefile the original is saved to a backup ConfigMap, once.
/// </summary>
/// <param name="ownsKey">custom mode: the key (and, if need be, the ConfigMap) is Canal's to create and remove; the main Corefile never is.</param>
/// <param name="backupName">Where to save the original before the first change; null for no backup.</param>
internal sealed class ConfigMapStore(IKubernetes client, string ns, string name, string key, bool ownsKey, string? backupName, ILogger logger) : IDnsConfigStore
{
    /// <summary>The epoch of the DnsWriter that wrote last: a fencing token against a stale writer.</summary>
    private const string FenceAnnotation = "canal.io/writer-epoch";

    /// <summary>The API server refuses a ConfigMap whose keys and values (data and binaryData) exceed 1 MiB.</summary>
    private const long ConfigMapLimit = 1024 * 1024;

    private bool _backedUp;

    /// <summary>The ConfigMap as last read: a write at its resourceVersion starts from it instead of reading it again.</summary>
    private V1ConfigMap? _lastRead;

    /// <summary>The store Canal writes in <paramref name="mode"/>: CoreDNS's Corefile (backed up before the first change), or Canal's key in coredns-custom.</summary>
    public static ConfigMapStore For(IKubernetes client, KubernetesSettings settings, DnsMode mode, ILogger logger) =>
        mode == DnsMode.Custom
            ? new ConfigMapStore(client, settings.CoreDnsNamespace, settings.StoreConfigMap(mode), settings.CustomKey, ownsKey: true, backupName: null, logger)
            : new ConfigMapStore(client, settings.CoreDnsNamespace, settings.StoreConfigMap(mode), settings.CorefileKey, ownsKey: false, settings.BackupConfigMap, logger);

    public string Description => ownsKey ? $"{ns}/{name} ({key})" : $"{ns}/{name}";

    public async Task<DnsConfig> ReadAsync(CancellationToken cancellationToken)
    {
        var configMap = _lastRead = await Read(cancellationToken);
        if (configMap == null)
        {
            return ownsKey
                ? new DnsConfig("", "")
                : throw new InvalidOperationException($"ConfigMap {ns}/{name} does not exist; is this CoreDNS's configuration? (set the CoreDNS ConfigMap's name)");
        }
        var fence = configMap.Metadata.Annotations != null && configMap.Metadata.Annotations.TryGetValue(FenceAnnotation, out var f) && long.TryParse(f, out var epoch) ? epoch : 0;
        var capacity = Capacity(configMap);
        if (configMap.Data?.TryGetValue(key, out var content) == true)
            return new DnsConfig(content, configMap.Metadata.ResourceVersion) { Fence = fence, Capacity = capacity };
        return ownsKey
            ? new DnsConfig("", configMap.Metadata.ResourceVersion) { Fence = fence, Capacity = capacity }
            : throw new InvalidOperationException($"ConfigMap {ns}/{name} has no key {key}");
    }

    /// <summary>What the ConfigMap's size limit leaves for our key's value once its other keys are counted.</summary>
    private long Capacity(V1ConfigMap configMap)
    {
        long others = 0;
        foreach (var (k, v) in configMap.Data ?? new Dictionary<string, string>())
            others += k == key ? 0 : k.Length + System.Text.Encoding.UTF8.GetByteCount(v ?? "");
        foreach (var (k, v) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
            others += k.Length + (v?.Length ?? 0);
        return ConfigMapLimit - others - key.Length;
    }

    public async Task<DnsWriteResult> WriteAsync(string content, string expectedVersion, long fence, CancellationToken cancellationToken)
    {
        // The replace carries the resourceVersion, so the API server refuses it (409) if anyone wrote since.
        var current = _lastRead is { } read && read.Metadata.ResourceVersion == expectedVersion ? read : await Read(cancellationToken);
        _lastRead = null;
        if (current == null)
            return expectedVersion == "" && ownsKey ? await Create(content, fence, cancellationToken) : new DnsWriteResult.Conflict($"{ns}/{name} was deleted");
        if (current.Metadata.ResourceVersion != expectedVersion)
            return new DnsWriteResult.Conflict($"resourceVersion {expectedVersion} → {current.Metadata.ResourceVersion}");

        if (backupName != null && !_backedUp)
            await Backup(current, cancellationToken);
        current.Data ??= new Dictionary<string, string>();
        current.Metadata.Annotations ??= new Dictionary<string, string>();
        current.Metadata.Annotations[FenceAnnotation] = fence.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (content.Length == 0 && ownsKey)
            current.Data.Remove(key);
        else
            current.Data[key] = content;
        try
        {
            var replaced = await client.CoreV1.ReplaceNamespacedConfigMapAsync(current, name, ns, cancellationToken: cancellationToken);
            return new DnsWriteResult.Written(replaced.Metadata.ResourceVersion);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return new DnsWriteResult.Conflict("409 Conflict on replace");
        }
    }

    /// <summary>The Corefile from the backup ConfigMap; in custom mode, Canal's key removed.</summary>
    public async Task<(bool Restored, string Message)> RestoreBackupAsync(CancellationToken cancellationToken)
    {
        string original;
        if (backupName == null)
        {
            original = "";
        }
        else
        {
            V1ConfigMap backup;
            try
            {
                backup = await client.CoreV1.ReadNamespacedConfigMapAsync(backupName, ns, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return (false, $"there is no backup {ns}/{backupName}: Canal never changed {ns}/{name}, or the backup was deleted (canal dns purge removes Canal's section)");
            }
            if (backup.Data == null || !backup.Data.TryGetValue(key, out original!))
                return (false, $"the backup {ns}/{backupName} has no {key}");
        }
        try
        {
            var changed = await this.RewriteAsync(_ => original, cancellationToken);
            return (true, !changed ? $"{Description} already holds the original"
                : backupName == null ? $"{key} removed from {ns}/{name}" : $"{ns}/{name} restored from {backupName}");
        }
        catch (InvalidOperationException e)
        {
            return (false, e.Message);
        }
    }

    private async Task<V1ConfigMap?> Read(CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<DnsWriteResult> Create(string content, long fence, CancellationToken cancellationToken)
    {
        var configMap = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "canal" },
                Annotations = new Dictionary<string, string> { [FenceAnnotation] = fence.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            Data = new Dictionary<string, string> { [key] = content },
        };
        try
        {
            var created = await client.CoreV1.CreateNamespacedConfigMapAsync(configMap, ns, cancellationToken: cancellationToken);
            return new DnsWriteResult.Written(created.Metadata.ResourceVersion);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return new DnsWriteResult.Conflict($"{ns}/{name} was created meanwhile");
        }
    }

    /// <summary>Saves the Corefile as it was before Canal's first change; an existing backup is never overwritten.</summary>
    private async Task Backup(V1ConfigMap original, CancellationToken cancellationToken)
    {
        var backup = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta
            {
                Name = backupName,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "canal" },
                Annotations = new Dictionary<string, string> { ["canal.io/backup-of"] = $"{ns}/{name}@{original.Metadata.ResourceVersion}" },
            },
            Data = original.Data is null ? null : new Dictionary<string, string>(original.Data),
        };
        try
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(backup, ns, cancellationToken: cancellationToken);
            logger.LogInformation("saved the original {Namespace}/{Name} to {Backup} before Canal's first change", ns, name, backupName);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // A backup from an earlier run holds the true original; keep it.
        }
        _backedUp = true;
    }
}
