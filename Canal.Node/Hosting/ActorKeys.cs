namespace Canal.Node.Hosting;

/// <summary>Keys of the actor registry: the two shard regions and the two singletons' proxies.</summary>
internal sealed class VirtualServiceRegion;

internal sealed class NamespaceRegion;

internal sealed class DnsWriterSingleton;

internal sealed class SourceSingleton;
