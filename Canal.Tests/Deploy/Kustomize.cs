using System.Text.Json.Nodes;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;

namespace Canal.Tests.Deploy;

/// <summary>The real <c>kubectl kustomize</c> on the k8s/ folder copied to the test output.</summary>
internal static class Kustomize
{
    public static string K8s => Path.Combine(AppContext.BaseDirectory, "k8s");

    public static async Task<IReadOnlyList<JsonObject>> Build(string directory)
    {
        // Its own HOME: kubectl must not read or write the user's ~/.kube.
        var home = Directory.CreateTempSubdirectory("kustomize-home-");
        try
        {
            var (exit, output, error) = await ChildProcess.Run("kubectl", ["kustomize", Path.Combine(K8s, directory)],
                environment: new Dictionary<string, string> { ["HOME"] = home.FullName });
            Assert.True(exit == 0, $"kubectl kustomize {directory}: exit {exit}\n{error}");
            return Yaml.Documents(output);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    /// <summary>An overlay with a component added, built from a kustomization of the test's own (kustomize wants relative paths).</summary>
    public static async Task<IReadOnlyList<JsonObject>> BuildWith(string overlay, string component)
    {
        var directory = Directory.CreateTempSubdirectory("canal-kustomize-");
        try
        {
            string Relative(string path) => Path.GetRelativePath(directory.FullName, Path.Combine(K8s, path));
            File.WriteAllText(Path.Combine(directory.FullName, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [{Relative($"overlays/{overlay}")}]
                components: [{Relative($"components/{component}")}]
                """);
            return await Build(directory.FullName);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The one object of <paramref name="kind"/> named <paramref name="name"/>.</summary>
    public static JsonObject One(IReadOnlyList<JsonObject> objects, string kind, string name) =>
        Assert.Single(objects, o => (string?)o["kind"] == kind && (string?)o["metadata"]!["name"] == name);
}
