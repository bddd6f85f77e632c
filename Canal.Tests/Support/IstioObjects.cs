using Canal.Istio;

namespace Canal.Tests.Support;

/// <summary>Istio objects as tests write them: a VirtualService with one http route per destination, whose hosts cover them.</summary>
internal static class IstioObjects
{
    public static VirtualService VirtualService(ObjectKey key, IReadOnlyList<string> gateways, params string[] destinations) =>
        new(key, null, 0, destinations, gateways, [], [.. destinations.Select((d, i) => HttpRoute(i, d))]);

    public static Route HttpRoute(int index, string destination, params RouteMatch[] matches) =>
        new(RouteKind.Http, $"spec.http[{index}]", matches, [new RouteDestination(destination, null, $"spec.http[{index}].route[0].destination.host")]);

    /// <summary>A root that serves <paramref name="hosts"/> on <paramref name="gateways"/> by delegating to <paramref name="to"/>.</summary>
    public static VirtualService Root(ObjectKey key, IReadOnlyList<string> gateways, ObjectKey to, params string[] hosts) =>
        new(key, null, 0, hosts, gateways, [], [new Route(RouteKind.Http, "spec.http[0]", [], [], to)]);

    /// <summary>A delegate: no hosts and no gateways of its own.</summary>
    public static VirtualService Delegate(ObjectKey key, params string[] destinations) =>
        VirtualService(key, [], destinations) with { Hosts = [] };
}
