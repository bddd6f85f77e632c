using Canal.Istio;
using Canal.Pacing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Canal.Node.Kubernetes;

/// <summary>API discovery: which networking.istio.io version to watch, asked once at start.</summary>
internal sealed partial class KubernetesSource
{
    /// <summary>The newest networking.istio.io version the server serves, waiting for Istio's CRDs if need be; and the discovery it was found in.</summary>
    private async Task<(string Version, V1APIGroupList Groups)> IstioVersion(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                var groups = await client.Apis.GetAPIVersionsAsync(cancellationToken);
                if (IstioVersionOf(groups) is { } version)
                {
                    logger.LogInformation("watching {Group}/{Version}", ManifestDecoder.IstioGroup, version);
                    return (version, groups);
                }
                logger.LogWarning("the API server does not serve {Group} (is Istio installed?); asking again", ManifestDecoder.IstioGroup);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("API discovery failed ({Error}); retrying", e.Message);
            }
            await Task.Delay(backoff.Next(), cancellationToken);
        }
    }

    /// <summary>The newest networking.istio.io version Canal reads that <paramref name="groups"/> has; null when none.</summary>
    public static string? IstioVersionOf(V1APIGroupList groups) => ManifestDecoder.IstioVersions.FirstOrDefault(Versions(groups, ManifestDecoder.IstioGroup).Contains);

    /// <summary>The versions <paramref name="groups"/> serves of <paramref name="group"/>.</summary>
    private static HashSet<string> Versions(V1APIGroupList groups, string group) =>
        groups.Groups.FirstOrDefault(g => g.Name == group)?.Versions.Select(v => v.Version).ToHashSet() ?? [];
}
