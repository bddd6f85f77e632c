using System.Diagnostics;
using System.Text.Json.Nodes;
using Canal.Tests.KubeApi;

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
            var start = new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(K8s, directory)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["HOME"] = home.FullName;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory}: exit {process.ExitCode}\n{await error}");
            return Yaml.Documents(await output);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }
}
