using System.Reflection;
using Canal.DnsWriter;
using Canal.Istio;

namespace Canal.Tests.Architecture;

/// <summary>Dependencies point inward: the domain knows no Akka, the actors know neither Kubernetes nor HTTP.</summary>
public sealed class LayeringTests
{
    private static IReadOnlyList<string> References(Assembly assembly) =>
        [.. assembly.GetReferencedAssemblies().Select(a => a.Name ?? "")];

    private static IReadOnlyList<string> Referenced(Assembly assembly, params string[] prefixes) =>
        [.. References(assembly).Where(r => prefixes.Any(p => r.StartsWith(p, StringComparison.Ordinal)))];

    [Fact]
    public void The_domain_references_neither_Akka_nor_Kubernetes_nor_ASP_NET() =>
        Assert.Empty(Referenced(typeof(HostName).Assembly, "Akka", "KubernetesClient", "Microsoft.AspNetCore"));

    [Fact]
    public void The_actors_reference_Akka_but_neither_Kubernetes_nor_ASP_NET()
    {
        Assert.NotEmpty(Referenced(typeof(DnsWriterActor).Assembly, "Akka"));
        Assert.Empty(Referenced(typeof(DnsWriterActor).Assembly, "KubernetesClient", "Microsoft.AspNetCore"));
    }

    /// <summary>Which of the domain's namespaces each may use: one way, from reading files down to the Istio model.</summary>
    public static TheoryData<string, string[]> DomainLayers() => new()
    {
        { "Canal.Istio", [] },
        { "Canal.Pacing", [] },
        { "Canal.Dns", ["Canal.Istio"] },
        { "Canal.GatewayApi", ["Canal.Istio"] },
        { "Canal.Reading", ["Canal.Istio", "Canal.GatewayApi"] },
    };

    [Theory]
    [MemberData(nameof(DomainLayers))]
    public void The_domains_folders_depend_on_each_other_one_way(string layer, string[] allowed)
    {
        var domain = typeof(HostName).Assembly.GetTypes();
        var layers = domain.Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("Canal.", StringComparison.Ordinal)).ToHashSet();
        Assert.Contains(layer, layers);
        var used = domain.Where(t => t.Namespace == layer)
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(Signature)
            .SelectMany(t => t.IsGenericType ? [t, .. t.GetGenericArguments()] : new[] { t })
            .Select(t => t.Namespace)
            .Where(n => n != null && n != layer && layers.Contains(n))
            .Distinct();
        Assert.Empty(used.Except(allowed));
    }

    private static IEnumerable<Type> Signature(MemberInfo member) => member switch
    {
        FieldInfo f => [f.FieldType],
        PropertyInfo p => [p.PropertyType],
        MethodInfo m => [m.ReturnType, .. m.GetParameters().Select(p => p.ParameterType)],
        ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
        _ => [],
    };
}
