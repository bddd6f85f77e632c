using Canal.Istio;
using Canal.Reading;

namespace Canal.Tests.Istio;

public class ManifestReaderTests
{
    private const string VirtualServiceYaml = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: bookinfo
        spec:
          hosts: [reviews]
          gateways: [istio-system/canal]
          http:
            - route:
                - destination:
                    host: reviews
                    port:
                      number: 9080
        """;

    private const string GatewayYaml = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: canal
          namespace: istio-system
        spec:
          selector:
            app: canal-gateway
          servers:
            - port:
                number: 9080
                name: http
                protocol: HTTP
              hosts: ["*"]
        """;

    private const string ServiceYaml = """
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: bookinfo
        spec:
          selector:
            app: reviews
          clusterIP: 10.96.0.10
          ports:
            - name: http
              port: 9080
              protocol: TCP
        """;

    [Fact]
    public void Reads_every_document_of_a_multi_document_yaml_file()
    {
        var manifests = ManifestReader.Read($"{VirtualServiceYaml}\n---\n{GatewayYaml}\n---\n{ServiceYaml}\n", "all.yaml");

        Assert.Empty(manifests.Errors);
        var vs = Assert.Single(manifests.VirtualServices);
        Assert.Equal(new ObjectKey("bookinfo", "reviews"), vs.Key);
        Assert.Equal(["istio-system/canal"], vs.Gateways);
        var destination = Assert.Single(vs.Destinations);
        Assert.Equal("reviews", destination.Host);
        Assert.Equal(9080, destination.Port);
        Assert.Equal("spec.http[0].route[0].destination.host", destination.Path);

        var gateway = Assert.Single(manifests.Gateways);
        Assert.Equal(new ObjectKey("istio-system", "canal"), gateway.Key);
        Assert.Equal("canal-gateway", gateway.Selector["app"]);
        Assert.Equal([9080], gateway.Ports);

        var service = Assert.Single(manifests.Services);
        Assert.Equal(new ObjectKey("bookinfo", "reviews"), service.Key);
        Assert.Equal([9080], service.Ports.Select(p => p.Port));
        Assert.Equal(["10.96.0.10"], service.ClusterIPs);
    }

    [Fact]
    public void Empty_documents_and_comment_only_files_give_nothing_and_no_error()
    {
        var manifests = ManifestReader.Read($"# leading comment\n---\n---\n{GatewayYaml}\n---\n", "g.yaml");
        Assert.Empty(manifests.Errors);
        Assert.Single(manifests.Gateways);

        Assert.Empty(ManifestReader.Read("# nothing here\n", "empty.yaml").Errors);
        Assert.Empty(ManifestReader.Read("", "empty.yaml").Errors);
    }

    [Fact]
    public void Reads_the_items_of_a_kind_List()
    {
        var manifests = ManifestReader.Read($"""
            apiVersion: v1
            kind: List
            items:
            {Indent(VirtualServiceYaml)}
            {Indent(GatewayYaml)}
            {Indent(ServiceYaml)}
            """, "list.yaml");

        Assert.Empty(manifests.Errors);
        Assert.Single(manifests.VirtualServices);
        Assert.Single(manifests.Gateways);
        Assert.Single(manifests.Services);
    }

    [Fact]
    public void Reads_a_VirtualServiceList_as_kubectl_get_prints_it()
    {
        var manifests = ManifestReader.Read($"""
            apiVersion: networking.istio.io/v1
            kind: VirtualServiceList
            metadata:
              resourceVersion: "77"
            items:
            {Indent(VirtualServiceYaml)}
            {Indent(VirtualServiceYaml.Replace("name: reviews", "name: ratings"))}
            """, "vslist.yaml");

        Assert.Empty(manifests.Errors);
        Assert.Equal(["reviews", "ratings"], manifests.VirtualServices.Select(v => v.Key.Name));
    }

    [Fact]
    public void Reads_a_VirtualServiceList_whose_items_omit_apiVersion_and_kind_as_the_API_returns_them()
    {
        // GET /apis/networking.istio.io/v1/virtualservices returns items without apiVersion and kind.
        var manifests = ManifestReader.Read("""
            {
              "apiVersion": "networking.istio.io/v1",
              "kind": "VirtualServiceList",
              "metadata": { "resourceVersion": "77" },
              "items": [
                { "metadata": { "name": "reviews", "namespace": "bookinfo" },
                  "spec": { "gateways": ["istio-system/canal"], "http": [ { "route": [ { "destination": { "host": "reviews" } } ] } ] } }
              ]
            }
            """, "raw.json");

        Assert.Empty(manifests.Errors);
        Assert.Equal("reviews", Assert.Single(manifests.VirtualServices).Key.Name);
    }

    [Fact]
    public void An_error_inside_a_list_names_the_item()
    {
        var manifests = ManifestReader.Read($"""
            apiVersion: v1
            kind: List
            items:
            {Indent(GatewayYaml)}
            {Indent(VirtualServiceYaml.Replace("host: reviews", "host: 42"))}
            """, "list.yaml");

        var error = Assert.Single(manifests.Errors);
        Assert.Equal("items[1].spec.http[0].route[0].destination.host", error.Field);
        Assert.Single(manifests.Gateways);
    }

    [Fact]
    public void Reads_a_json_file()
    {
        var manifests = ManifestReader.Read("""
            {
              "apiVersion": "networking.istio.io/v1beta1",
              "kind": "VirtualService",
              "metadata": { "name": "reviews", "namespace": "bookinfo" },
              "spec": {
                "gateways": ["canal"],
                "tcp": [ { "route": [ { "destination": { "host": "reviews", "port": { "number": 9080 } } } ] } ]
              }
            }
            """, "vs.json");

        Assert.Empty(manifests.Errors);
        var vs = Assert.Single(manifests.VirtualServices);
        var destination = Assert.Single(vs.Destinations);
        Assert.Equal(("spec.tcp[0].route[0].destination.host", 9080), (destination.Path, destination.Port));
    }

    [Theory]
    [InlineData("networking.istio.io/v1")]
    [InlineData("networking.istio.io/v1beta1")]
    [InlineData("networking.istio.io/v1alpha3")]
    public void Reads_every_supported_istio_api_version(string apiVersion)
    {
        var manifests = ManifestReader.Read(
            $"{VirtualServiceYaml.Replace("networking.istio.io/v1", apiVersion)}\n---\n{GatewayYaml.Replace("networking.istio.io/v1", apiVersion)}",
            "v.yaml");

        Assert.Empty(manifests.Errors);
        Assert.Single(manifests.VirtualServices);
        Assert.Single(manifests.Gateways);
    }

    [Fact]
    public void An_unsupported_istio_version_is_an_error_naming_apiVersion_and_the_supported_ones()
    {
        var manifests = ManifestReader.Read(VirtualServiceYaml.Replace("networking.istio.io/v1", "networking.istio.io/v2alpha1"), "vs.yaml");

        Assert.Empty(manifests.VirtualServices);
        var error = Assert.Single(manifests.Errors);
        Assert.Equal(("vs.yaml", 1, "apiVersion"), (error.Source, error.Document, error.Field));
        Assert.Contains("networking.istio.io/v2alpha1", error.Message);
        Assert.Contains("networking.istio.io/v1beta1", error.Message);
    }

    [Fact]
    public void A_Kubernetes_Gateway_API_Gateway_is_not_an_istio_gateway()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              name: canal
              namespace: istio-system
            spec:
              gatewayClassName: istio
              listeners:
                - name: http
                  port: 80
                  protocol: HTTP
            """, "k8s-gateway.yaml");

        Assert.Empty(manifests.Errors);
        Assert.Empty(manifests.Gateways);
    }

    [Fact]
    public void Unknown_kinds_and_documents_without_apiVersion_and_kind_are_ignored()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: reviews
            spec:
              replicas: "not even a number"
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews
            spec:
              host: reviews
            ---
            replicaCount: 3
            image:
              tag: latest
            ---
            apiVersion: v2
            kind: Service
            metadata:
              name: not-core-v1
            """, "mixed.yaml");

        Assert.Empty(manifests.VirtualServices);
        Assert.Empty(manifests.Gateways);
        Assert.Empty(manifests.Services);
        Assert.Empty(manifests.Errors);
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: reviews
              namespace: bookinfo
              labels: { team: books }
              annotations: { note: "x" }
              managedFields: [ { manager: kubectl } ]
            spec:
              futureField: { nested: [1, 2, 3] }
              exportTo: ["."]
              gateways: [canal]
              http:
                - name: primary
                  retries: { attempts: 3 }
                  match: [ { uri: { prefix: /r } } ]
                  route:
                    - destination: { host: reviews, subset: v2, somethingNew: true }
                      weight: 100
                      headers: { request: { set: { x: y } } }
            status:
              validationMessages: []
            """, "vs.yaml");

        Assert.Empty(manifests.Errors);
        Assert.Equal("reviews", Assert.Single(Assert.Single(manifests.VirtualServices).Destinations).Host);
    }

    [Fact]
    public void Mirror_destinations_are_not_route_destinations()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: reviews, namespace: bookinfo }
            spec:
              gateways: [canal]
              http:
                - route: [ { destination: { host: reviews } } ]
                  mirror: { host: shadow }
                  mirrors: [ { destination: { host: shadow2 } } ]
            """, "vs.yaml");

        Assert.Equal(["reviews"], Assert.Single(manifests.VirtualServices).Destinations.Select(d => d.Host));
    }

    [Fact]
    public void Reads_tls_routes_and_delegates()
    {
        var manifests = ManifestReader.Read("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: { name: root, namespace: front }
            spec:
              gateways: [canal]
              http:
                - match: [ { uri: { prefix: /a } } ]
                  delegate: { name: a }
                - delegate: { name: b, namespace: team-b }
              tls:
                - match: [ { sniHosts: [secure] } ]
                  route: [ { destination: { host: secure, port: { number: 443 } } } ]
            """, "root.yaml");

        Assert.Empty(manifests.Errors);
        var vs = Assert.Single(manifests.VirtualServices);
        Assert.Equal([new ObjectKey("front", "a"), new ObjectKey("team-b", "b")], vs.Delegates);
        var secure = Assert.Single(vs.Destinations);
        Assert.Equal(("secure", 443, "spec.tls[0].route[0].destination.host"), (secure.Host, secure.Port, secure.Path));
        Assert.Equal(["secure"], vs.Routes.Single(r => r.Kind == RouteKind.Tls).Matches.Single().SniHosts);
    }

    [Fact]
    public void A_missing_namespace_means_default()
    {
        var manifests = ManifestReader.Read(VirtualServiceYaml.Replace("  namespace: bookinfo\n", ""), "vs.yaml");
        Assert.Equal(new ObjectKey("default", "reviews"), Assert.Single(manifests.VirtualServices).Key);
    }

    [Theory]
    [InlineData("host: reviews", "host: 42", "spec.http[0].route[0].destination.host", "expected a string, found the number 42")]
    [InlineData("host: reviews", "host: null", "spec.http[0].route[0].destination.host", "is required")]
    [InlineData("number: 9080", "number: eighty", "spec.http[0].route[0].destination.port.number", "expected a whole number")]
    [InlineData("gateways: [istio-system/canal]", "gateways: istio-system/canal", "spec.gateways", "expected a list")]
    [InlineData("gateways: [istio-system/canal]", "gateways: [7]", "spec.gateways[0]", "expected a string")]
    [InlineData("  name: reviews\n", "", "metadata.name", "is required")]
    [InlineData("kind: VirtualService", "kind: [VirtualService]", "kind", "expected a string")]
    public void A_malformed_document_is_an_error_naming_file_document_and_field(string replace, string with, string field, string message)
    {
        var manifests = ManifestReader.Read($"{GatewayYaml}\n---\n{VirtualServiceYaml.Replace(replace, with)}\n---\n{ServiceYaml}", "apps/reviews.yaml");

        var error = Assert.Single(manifests.Errors);
        Assert.Equal(("apps/reviews.yaml", 2, field), (error.Source, error.Document, error.Field));
        Assert.Contains(message, error.Message);
        Assert.StartsWith($"apps/reviews.yaml, document 2, {field}: ", error.ToString());
        // The documents around the bad one still count.
        Assert.Single(manifests.Gateways);
        Assert.Single(manifests.Services);
        Assert.Empty(manifests.VirtualServices);
    }

    [Fact]
    public void Malformed_gateway_and_service_fields_are_named()
    {
        var gateway = ManifestReader.Read(GatewayYaml.Replace("number: 9080", "number: \"9080\""), "g.yaml");
        Assert.Equal("spec.servers[0].port.number", Assert.Single(gateway.Errors).Field);

        var selector = ManifestReader.Read(GatewayYaml.Replace("app: canal-gateway", "app: [canal-gateway]"), "g.yaml");
        Assert.Equal("spec.selector.app", Assert.Single(selector.Errors).Field);

        var service = ManifestReader.Read(ServiceYaml.Replace("port: 9080", "targetPort: 9080"), "s.yaml");
        Assert.Equal("spec.ports[0].port", Assert.Single(service.Errors).Field);
    }

    [Fact]
    public void A_document_that_is_not_an_object_is_an_error()
    {
        var manifests = ManifestReader.Read($"- just\n- a list\n---\n{GatewayYaml}", "odd.yaml");

        var error = Assert.Single(manifests.Errors);
        Assert.Equal(1, error.Document);
        Assert.Contains("expected an object", error.Message);
        Assert.Single(manifests.Gateways);
    }

    [Fact]
    public void Invalid_yaml_is_an_error_with_its_line()
    {
        var manifests = ManifestReader.Read("apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n  namespace: x\n", "broken.yaml");

        var error = Assert.Single(manifests.Errors);
        Assert.Equal("broken.yaml", error.Source);
        Assert.Matches(@"not valid YAML at line [45]\b", error.Message);
    }

    [Fact]
    public void Invalid_yaml_in_one_document_does_not_lose_the_documents_around_it()
    {
        var manifests = ManifestReader.Read($"{GatewayYaml}\n---\nkind: Service\nmetadata: {{ name: [unclosed\n---\n{ServiceYaml}\n", "broken.yaml");

        var error = Assert.Single(manifests.Errors);
        Assert.Equal(("broken.yaml", 2), (error.Source, error.Document));
        // The broken document starts on line 16 of the file; the error points into it, not into the document.
        Assert.Matches(@"not valid YAML at line 1[6-8]\b", error.Message);
        Assert.Single(manifests.Gateways);
        Assert.Single(manifests.Services);
    }

    [Fact]
    public void Invalid_json_is_an_error_with_its_line()
    {
        var manifests = ManifestReader.Read("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\"\n  \"metadata\": {}\n}", "broken.json");

        var error = Assert.Single(manifests.Errors);
        Assert.Equal("broken.json", error.Source);
        Assert.Contains("not valid JSON at line 4", error.Message);
    }

    [Fact]
    public void Yaml_in_flow_style_is_yaml_even_though_it_starts_like_json()
    {
        var manifests = ManifestReader.Read("""
            {apiVersion: v1, kind: Service, metadata: {name: reviews, namespace: shop}, spec: {ports: [{port: 9080}]}}
            ---
            {apiVersion: networking.istio.io/v1, kind: Gateway, metadata: {name: canal}, spec: {selector: {app: canal-gateway}}}
            """, "flow.yaml");

        Assert.Empty(manifests.Errors);
        Assert.Equal([9080], Assert.Single(manifests.Services).Ports.Select(p => p.Port));
        Assert.Single(manifests.Gateways);
    }

    [Fact]
    public void Quoted_yaml_scalars_stay_strings_and_plain_ones_are_typed()
    {
        // A quoted number is a string where Istio wants a number: that is an error, as it is for kubectl.
        var quoted = ManifestReader.Read(VirtualServiceYaml.Replace("number: 9080", "number: '9080'"), "vs.yaml");
        Assert.Contains("the string \"9080\"", Assert.Single(quoted.Errors).Message);

        // A host that looks like a number or boolean is a string when quoted.
        var host = ManifestReader.Read(VirtualServiceYaml.Replace("host: reviews", "host: \"true\""), "vs.yaml");
        Assert.Equal("true", Assert.Single(Assert.Single(host.VirtualServices).Destinations).Host);
    }

    private static string Indent(string document)
    {
        var lines = document.Split('\n');
        return string.Join("\n", lines.Select((l, i) => (i == 0 ? "- " : "  ") + l));
    }
}
