using System.Diagnostics;
using System.Text.Json;
using Canal.Istio;
using Canal.Node.Kubernetes;
using k8s;

namespace Canal.Benchmarks.Scale;

/// <summary>
/// The floor under a restart: a fresh process that lists what Canal lists (VirtualServices decoded as Canal decodes
/// them, Services), with the same client and page size, and does nothing else. No restart can be faster.
/// </summary>
internal static class ListingFloor
{
    public const string Scenario = "listing-floor";

    /// <summary>Start to exit of a fresh process that lists everything once: the fastest of three, as a floor should be.</summary>
    public static async Task<TimeSpan> Measure(string kubeconfig)
    {
        var runs = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
            runs.Add(await Once(kubeconfig));
        return runs.Min();
    }

    private static async Task<TimeSpan> Once(string kubeconfig)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { typeof(ListingFloor).Assembly.Location, Scenario, kubeconfig })
            start.ArgumentList.Add(arg);
        var at = Stopwatch.GetTimestamp();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = Stopwatch.GetElapsedTime(at);
        return process.ExitCode == 0 ? elapsed : throw new InvalidOperationException($"the listing alone failed: {await stderr}");
    }

    /// <summary>The child process: list, decode, exit.</summary>
    public static async Task<int> Run(string kubeconfig)
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var virtualServices = new List<VirtualService>();
        string? next = null;
        do
        {
            var page = (JsonElement)await client.CustomObjects.ListClusterCustomObjectAsync(ManifestDecoder.IstioGroup, "v1", "virtualservices", continueParameter: next, limit: ListWatch<JsonElement>.PageSize);
            virtualServices.AddRange(page.GetProperty("items").EnumerateArray().Select(i => ManifestDecoder.DecodeVirtualService(i)));
            next = page.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
        }
        while (!string.IsNullOrEmpty(next));
        var services = 0;
        next = null;
        do
        {
            var page = await client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: next, limit: ListWatch<JsonElement>.PageSize);
            services += page.Items.Count;
            next = page.Metadata.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(next));
        Console.Error.WriteLine($"{virtualServices.Count} VirtualServices, {services} Services");
        return 0;
    }
}
