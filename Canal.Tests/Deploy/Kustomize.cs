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
}
