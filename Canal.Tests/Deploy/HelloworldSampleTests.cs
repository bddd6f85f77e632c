using Canal.Tests.KubeApi;
using Canal.Tests.Support;

namespace Canal.Tests.Deploy;

/// <summary>samples/helloworld holds the walkthrough's workload without disturbing the tests that load its manifests.</summary>
public sealed class HelloworldSampleTests
{
    private static readonly string Sample = Samples.Helloworld;

    [Fact]
    public void The_helloworld_deployment_runs_istios_sample_behind_the_helloworld_service()
    {
        var deployment = Yaml.Documents(File.ReadAllText(Path.Combine(Sample, "workload", "helloworld-v1.yaml"))).Single();
        var service = Yaml.Documents(File.ReadAllText(Path.Combine(Sample, "helloworld.yaml"))).Single(d => (string?)d["kind"] == "Service");
        var pod = deployment["spec"]!["template"]!;
        var container = pod["spec"]!["containers"]![0]!;

        Assert.Equal("Deployment", (string?)deployment["kind"]);
        Assert.Equal((string?)service["metadata"]!["namespace"], (string?)deployment["metadata"]!["namespace"]);
        Assert.All(service["spec"]!["selector"]!.AsObject(), label => Assert.Equal((string?)label.Value, (string?)pod["metadata"]!["labels"]![label.Key]));
        Assert.StartsWith("docker.io/istio/examples-helloworld-v1:", (string?)container["image"]);
        Assert.Equal((long)service["spec"]!["ports"]![0]!["port"]!, (long)container["ports"]![0]!["containerPort"]!);
    }

    [Fact]
    public void The_top_level_manifests_hold_only_kinds_the_api_emulator_serves()
    {
        // Tests apply every top-level file to the emulator (and kubectl apply -f samples/helloworld does too).
        var catalog = new ResourceCatalog(["v1"]);
        var kinds = Directory.GetFiles(Sample, "*.yaml").SelectMany(f => Yaml.Documents(File.ReadAllText(f))).Select(d => ((string)d["apiVersion"]!, (string)d["kind"]!));

        Assert.All(kinds, k => Assert.True(catalog.FindKind(k.Item1, k.Item2) != null, $"{k.Item2} ({k.Item1}) is not served by the emulator: keep it out of the top level"));
    }
}
