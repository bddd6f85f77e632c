namespace Canal.Tests.Support;

/// <summary>
/// Multi-node tests run alone: with failure detection tuned to 3 s, other tests starving these processes of
/// the machine's two cores would make nodes unreachable for reasons the tests do not intend.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterTimingCollection
{
    public const string Name = "cluster timing";
}
