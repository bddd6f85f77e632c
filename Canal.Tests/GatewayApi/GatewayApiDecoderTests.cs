using Canal.GatewayApi;
using Canal.Istio;
using Canal.Reading;

namespace Canal.Tests.GatewayApi;

public sealed class GatewayApiDecoderTests
{
    [Fact]
    public void Routes_are_read_with_the_defaults_the_API_server_fills_in()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews, namespace: shop}
            spec:
              parentRefs: [{name: mesh, namespace: istio-system, sectionName: http}]
              rules:
                - backendRefs: [{name: reviews, port: 9080}]
                  filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 9080}}}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: TCPRoute
            metadata: {name: db, namespace: shop}
            spec:
              parentRefs: [{name: mesh, namespace: istio-system}]
              rules: [{backendRefs: [{name: db, port: 5432}]}]
            """, "routes.yaml");

        Assert.Empty(manifests.Errors);
        var (http, tcp) = (manifests.GatewayApi.Routes[0], manifests.GatewayApi.Routes[1]);
        Assert.Equal(new ParentRef(GatewayApiGroup.Name, "Gateway", "istio-system", "mesh", "http", null), Assert.Single(http.Parents));
        // A mirror's copies are answered by nobody: only backendRefs are backends, as only route destinations are for VirtualServices.
        Assert.Equal(new BackendRef("", "Service", "reviews", null, 9080, "spec.rules[0].backendRefs[0]"), Assert.Single(http.Backends));
        Assert.Equal((ApiRouteKind.TCPRoute, 5432), (tcp.Kind, Assert.Single(tcp.Backends).Port));
    }

    [Fact]
    public void A_Gateway_is_read_with_its_listeners_allowed_routes_and_addresses()
    {
        var gateway = Assert.Single(ManifestReader.Read("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: shared, namespace: istio-system}
            spec:
              gatewayClassName: canal
              addresses: [{type: Hostname, value: canal.istio-system.svc.cluster.local}]
              listeners:
                - {name: http, port: 80, protocol: HTTP}
                - name: tls
                  port: 443
                  protocol: TLS
                  tls: {mode: Passthrough}
                  allowedRoutes:
                    namespaces: {from: Selector, selector: {matchLabels: {team: shop}}}
                    kinds: [{kind: TLSRoute}]
            """, "gateway.yaml").GatewayApi.Gateways);

        Assert.Equal(new GatewayAddress("Hostname", "canal.istio-system.svc.cluster.local"), Assert.Single(gateway.Addresses));
        Assert.Equal(AllowedRoutes.Default, gateway.Listeners[0].Allowed);
        Assert.Equal(("Passthrough", "Selector", "shop"), (gateway.Listeners[1].TlsMode, gateway.Listeners[1].Allowed.From, gateway.Listeners[1].Allowed.Selector!.MatchLabels["team"]));
        Assert.Equal(new RouteGroupKind(GatewayApiGroup.Name, "TLSRoute"), Assert.Single(gateway.Listeners[1].Allowed.Kinds));
    }

    [Theory]
    [InlineData("kind: Gateway\nmetadata: {name: g}\nspec: {listeners: []}", "spec.gatewayClassName", "is required")]
    [InlineData("kind: HTTPRoute\nmetadata: {name: r}\nspec: {rules: [{backendRefs: [{port: 80}]}]}", "spec.rules[0].backendRefs[0].name", "is required")]
    [InlineData("kind: HTTPRoute\nmetadata: {name: r}\nspec: {parentRefs: [{name: g, port: http}]}", "spec.parentRefs[0].port", "expected a whole number")]
    public void A_field_of_the_wrong_shape_is_an_error_naming_its_path(string document, string field, string message)
    {
        var error = Assert.Single(ManifestReader.Read($"apiVersion: gateway.networking.k8s.io/v1\n{document}", "bad.yaml").Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void An_unsupported_version_is_an_error_naming_the_supported_ones()
    {
        var error = Assert.Single(ManifestReader.Read("apiVersion: gateway.networking.k8s.io/v1alpha1\nkind: TCPRoute\nmetadata: {name: r}\nspec: {}", "old.yaml").Errors);
        Assert.Contains("gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1alpha2", error.Message);
    }
}
