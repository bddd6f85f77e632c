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

    [Fact]
    public void The_Istio_model_does_not_depend_on_the_Corefile_code()
    {
        var istio = typeof(HostName).Assembly.GetTypes().Where(t => t.Namespace == "Canal.Istio");
        var used = istio.SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(Signature)
            .Where(t => t.Namespace == "Canal.Dns")
            .Select(t => t.Name)
            .Distinct();
        Assert.Empty(used);
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
