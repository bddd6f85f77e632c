namespace Canal.Istio;

/// <summary>Identifies a namespaced Kubernetes object; printed and sorted as <c>namespace/name</c>.</summary>
public readonly record struct ObjectKey(string Namespace, string Name) : IComparable<ObjectKey>
{
    public override string ToString() => $"{Namespace}/{Name}";

    public int CompareTo(ObjectKey other)
    {
        var byNamespace = string.CompareOrdinal(Namespace, other.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(Name, other.Name);
    }

    /// <summary>Parses <c>name</c> (in <paramref name="defaultNamespace"/>) or <c>namespace/name</c>.</summary>
    public static ObjectKey Parse(string reference, string defaultNamespace)
    {
        var slash = reference.IndexOf('/');
        return slash < 0
            ? new ObjectKey(defaultNamespace, reference)
            : new ObjectKey(reference[..slash], reference[(slash + 1)..]);
    }
}
