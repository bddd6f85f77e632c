using Canal.Tests.KubeApi;
using k8s;

namespace Canal.Tests.Deploy;

/// <summary>
/// Every manifest Canal ships reads into KubernetesClient's typed models with unknown fields refused, as a real
/// API server's strict field validation would refuse a misspelt field.
/// </summary>
public sealed class StrictManifestTests
{
    private static void ReadStrictly(string yaml, string what)
    {
        var objects = KubernetesYaml.LoadAllFromString(yaml, strict: true);
        Assert.True(objects.Count > 0, $"{what} holds no object");
    }

    [Theory]
    [MemberData(nameof(KustomizeTests.Overlays), MemberType = typeof(KustomizeTests))]
    public async Task Every_object_of_an_overlay_reads_into_its_typed_model_with_unknown_fields_refused(string overlay)
    {
        foreach (var obj in await Kustomize.Build($"overlays/{overlay}"))
            ReadStrictly(obj.ToJsonString(), $"{overlay}: {obj["kind"]} {obj["metadata"]?["name"]}");
    }

    [Fact]
    public void Every_chart_template_the_tests_render_reads_into_its_typed_models_with_unknown_fields_refused()
    {
        var rendered = new List<string>();
        foreach (var chart in new[] { "canal", "canal-control" })
        {
            var values = Charts.Values(chart);
            foreach (var template in Directory.GetFiles(Path.Combine(Charts.Directory(chart), "templates"), "*.yaml"))
            {
                string text;
                try
                {
                    text = ChartTemplate.RenderPlain(File.ReadAllText(template), values, release: chart, releaseNamespace: "istio-system");
                }
                catch (NotSupportedException)
                {
                    continue; // More than plain substitutions: helm renders it, these tests cannot.
                }
                // A custom resource (the Istio Gateway, the Prometheus Operator's PrometheusRule) has no typed model here.
                if (text.Contains("apiVersion: networking.istio.io", StringComparison.Ordinal) || text.Contains("apiVersion: monitoring.coreos.com", StringComparison.Ordinal))
                    continue;
                ReadStrictly(text, $"{chart}/{Path.GetFileName(template)}");
                rendered.Add($"{chart}/{Path.GetFileName(template)}");
            }
        }
        Assert.Contains("canal-control/rbac.yaml", rendered);
        Assert.Contains("canal-control/rbac-bootstrap.yaml", rendered);
    }

    [Fact]
    public void A_misspelt_field_is_refused()
    {
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString("""
            apiVersion: v1
            kind: Service
            metadata: { name: canal }
            spec: { prots: [ { port: 80 } ] }
            """, strict: true));
    }
}
