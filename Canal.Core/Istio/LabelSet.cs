namespace Canal.Istio;

/// <summary>Kubernetes labels as selectors use them.</summary>
public static class LabelSet
{
    /// <summary>True when <paramref name="labels"/> hold every label of <paramref name="subset"/> with its value.</summary>
    public static bool Contain(IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> subset) =>
        subset.All(label => labels.TryGetValue(label.Key, out var value) && value == label.Value);
}
