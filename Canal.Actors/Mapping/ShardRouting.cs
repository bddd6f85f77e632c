using Akka.Cluster.Sharding;

namespace Canal.Mapping;

/// <summary>Routes <see cref="IVirtualServiceCommand"/>s to the "virtualservice" region's entity <c>namespace/name</c>.</summary>
public sealed class VirtualServiceMessageExtractor() : HashCodeMessageExtractor(ShardCount)
{
    public const string TypeName = "virtualservice";
    internal const int ShardCount = 100;

    public override string? EntityId(object message) => (message as IVirtualServiceCommand)?.Key.ToString();
}

/// <summary>Routes <see cref="INamespaceCommand"/>s to the "namespace" region's entity named after the namespace.</summary>
public sealed class NamespaceMessageExtractor() : HashCodeMessageExtractor(VirtualServiceMessageExtractor.ShardCount)
{
    public const string TypeName = "namespace";

    public override string? EntityId(object message) => (message as INamespaceCommand)?.Namespace;
}
