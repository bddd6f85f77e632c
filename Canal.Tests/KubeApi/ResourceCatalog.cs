namespace Canal.Tests.KubeApi;

/// <summary>The emulated subset of the Kubernetes API: which resources exist at which group and versions.</summary>
public sealed class ResourceCatalog
{
    public const string IstioGroup = "networking.istio.io";
    public const string GatewayApiGroup = "gateway.networking.k8s.io";

    /// <param name="istioVersions">The networking.istio.io versions served, preferred first; none when Istio's CRDs are not installed.</param>
    /// <param name="gatewayApi">Whether the Gateway API's CRDs are installed (standard channel, v1.6: every kind at v1, and v1beta1 where it is still served).</param>
    public ResourceCatalog(IReadOnlyList<string> istioVersions, bool gatewayApi = true)
    {
        Types =
        [
            new("", ["v1"], "configmaps", "configmap", "ConfigMap", true, ["cm"], false),
            new("", ["v1"], "events", "event", "Event", true, ["ev"], false),
            new("", ["v1"], "namespaces", "namespace", "Namespace", false, ["ns"], false),
            // Pods as cluster bootstrap lists them; their status is written by tests, as kubelet would.
            new("", ["v1"], "pods", "pod", "Pod", true, ["po"], false),
            new("", ["v1"], "services", "service", "Service", true, ["svc"], false),
            new("discovery.k8s.io", ["v1"], "endpointslices", "endpointslice", "EndpointSlice", true, [], false),
            // No versions: Istio's CRDs are not installed, and the group is not served at all.
            .. (istioVersions.Count == 0 ? [] : new ResourceType[]
            {
                new(IstioGroup, istioVersions, "gateways", "gateway", "Gateway", true, ["gw"], true),
                new(IstioGroup, istioVersions, "virtualservices", "virtualservice", "VirtualService", true, ["vs"], true),
            }),
            .. (gatewayApi ? GatewayApiTypes : []),
        ];
    }

    public IReadOnlyList<ResourceType> Types { get; }

    private static readonly ResourceType[] GatewayApiTypes =
    [
        new(GatewayApiGroup, ["v1", "v1beta1"], "gatewayclasses", "gatewayclass", "GatewayClass", false, ["gc"], true),
        new(GatewayApiGroup, ["v1", "v1beta1"], "gateways", "gateway", "Gateway", true, ["gtw"], true),
        new(GatewayApiGroup, ["v1", "v1beta1"], "httproutes", "httproute", "HTTPRoute", true, [], true),
        new(GatewayApiGroup, ["v1"], "grpcroutes", "grpcroute", "GRPCRoute", true, [], true),
        new(GatewayApiGroup, ["v1"], "tlsroutes", "tlsroute", "TLSRoute", true, [], true),
        new(GatewayApiGroup, ["v1"], "tcproutes", "tcproute", "TCPRoute", true, [], true),
        new(GatewayApiGroup, ["v1", "v1beta1"], "referencegrants", "referencegrant", "ReferenceGrant", true, ["refgrant"], true),
    ];

    /// <summary>The versions a group serves, preferred first: those of any of its kinds.</summary>
    public IReadOnlyList<string> VersionsOf(string group) => [.. Types.Where(t => t.Group == group).SelectMany(t => t.Versions).Distinct()];

    /// <summary>API groups in discovery order: the real server lists built-in groups before custom ones.</summary>
    public IEnumerable<string> Groups => Types.Select(t => t.Group).Where(g => g != "").Distinct();

    public ResourceType? Find(string group, string version, string resource) =>
        Types.FirstOrDefault(t => t.Group == group && t.Resource == resource && t.Versions.Contains(version));

    public ResourceType? Find(string group, string resource) =>
        Types.FirstOrDefault(t => t.Group == group && t.Resource == resource);

    public bool Serves(string group, string version) => Types.Any(t => t.Group == group && t.Versions.Contains(version));

    /// <summary>The resource an object's apiVersion and kind name, with the version it names.</summary>
    public (ResourceType Type, string Version)? FindKind(string apiVersion, string kind)
    {
        var slash = apiVersion.LastIndexOf('/');
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        var type = Types.FirstOrDefault(t => t.Group == group && t.Kind == kind && t.Versions.Contains(version));
        return type is null ? null : (type, version);
    }
}
