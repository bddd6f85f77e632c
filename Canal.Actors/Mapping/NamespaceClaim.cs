using Canal.Istio;
using Canal.Serialization;

namespace Canal.Mapping;

/// <summary>
/// The full set of hosts one VirtualService claims in one namespace, with the gateways it names and, host by host,
/// where its routes apply (<see cref="Routes"/>, in the order of <see cref="Hosts"/>; null in claims stored before
/// it existed, read as <see cref="HostRoutes.Legacy"/>). Empty <see cref="Hosts"/> releases. <see cref="Version"/>
/// is a <see cref="VersionStamp"/> (clock ticks): it only grows, so a stale or duplicated copy is recognised, and
/// its age says when a release's tombstone may go. <see cref="Source"/> is what the claim was derived from
/// (<see cref="ClaimSource"/>; null in claims stored before it existed, and for manifest files).
/// </summary>
public sealed record NamespaceClaim(
    ObjectKey Claimer, long Version, IReadOnlyList<ObjectKey> Gateways, IReadOnlyList<string> Hosts, IReadOnlyList<HostRoutes>? Routes = null, string? Source = null) : ICanalMessage
{
    public bool IsRelease => Hosts.Count == 0;

    /// <summary>The claim with nothing claimed any more, at <paramref name="version"/>.</summary>
    public NamespaceClaim Released(long version) => this with { Version = version, Hosts = [], Routes = [] };

    /// <summary>True when <paramref name="other"/> claims the same hosts, the same way, through the same gateways, from the same source (at whatever version).</summary>
    public bool SameClaim(NamespaceClaim other) =>
        Claimer == other.Claimer && Source == other.Source && Gateways.SequenceEqual(other.Gateways) && Hosts.SequenceEqual(other.Hosts, StringComparer.Ordinal)
        && (Routes == null ? other.Routes == null : other.Routes != null && Routes.SequenceEqual(other.Routes));

    /// <summary>How the claimer routes to the host at <paramref name="index"/> of <see cref="Hosts"/>.</summary>
    public HostRoutes RoutesOf(int index) => Routes?[index] ?? HostRoutes.Legacy(Gateways, Claimer.Namespace);
}

/// <summary>Version stamps that grow across restarts and re-creations: ticks of the clock, never below the last stamp + 1.</summary>
internal static class VersionStamp
{
    public static long Next(long previous, TimeProvider clock) => Math.Max(previous + 1, clock.GetUtcNow().UtcTicks);
}
