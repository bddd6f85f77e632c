using System.Text.Json.Nodes;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Canal.Tests.KubernetesMode;

/// <summary>
/// Everything Canal asked of the API in a full run is allowed by k8s/base/rbac.yaml, and everything it allows
/// was asked for: no grant Canal never uses.
/// </summary>
public sealed class RbacTests
{
    private sealed record Rule(string? Namespace, string[] Groups, string[] Resources, string[] Verbs, string[] Names)
    {
        public bool Allows(string verb, string group, string resource, string? ns, string? name) =>
            (Namespace == null || Namespace == ns)
            && Groups.Contains(group) && Resources.Contains(resource) && Verbs.Contains(verb)
            && (Names.Length == 0 || name != null && Names.Contains(name));
    }

    private static List<Rule> Rules()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "k8s", "base", "rbac.yaml"))));
        var rules = new List<Rule>();
        foreach (var document in stream.Documents.Select(d => (YamlMappingNode)d.RootNode))
        {
            var kind = ((YamlScalarNode)document["kind"]).Value;
            if (kind is not ("ClusterRole" or "Role"))
                continue;
            var ns = kind == "Role" ? ((YamlScalarNode)((YamlMappingNode)document["metadata"])["namespace"]).Value : null;
            foreach (var rule in ((YamlSequenceNode)document["rules"]).Cast<YamlMappingNode>())
            {
                string[] List(string key) => rule.Children.TryGetValue(key, out var node) ? [.. ((YamlSequenceNode)node).Select(n => ((YamlScalarNode)n).Value ?? "")] : [];
                rules.Add(new Rule(ns, List("apiGroups"), List("resources"), List("verbs"), List("resourceNames")));
            }
        }
        return rules;
    }

    [Fact]
    public async Task Every_request_of_a_full_run_is_granted_by_the_manifests_and_every_grant_is_used()
    {
        await using var cluster = await KubeCluster.Start();
        cluster.ApplySample();
        cluster.Api.Apply(KubeCluster.VirtualService("default", "broken", "reviews").Replace("gateways: [istio-system/canal]", "gateways: istio-system/canal"));
        var canal = cluster.StartCanal("--readiness-grace-s", "1");
        await cluster.Redirects(["helloworld.default.svc.cluster.local"]);
        await canal.WaitForLine(l => l.Contains("saved the original"), "the backup");
        await Eventually.True(() => cluster.Api.RequestLog.Any(r => r.Resource == "events" && r.Verb == "create"), "an Event to be posted");
        // An outcome that comes back counts up its earlier Event (patch) instead of posting another.
        var helloworld = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld", "helloworld.yaml"));
        cluster.Api.Apply(Yaml.Documents(helloworld.Replace("  gateways:", "  exportTo: [\".\"]\n  gateways:")).Single(d => (string?)d["kind"] == "VirtualService"));
        await cluster.Redirects([], ["helloworld.default.svc.cluster.local"]);
        cluster.Api.Apply(Yaml.Documents(helloworld).Single(d => (string?)d["kind"] == "VirtualService"));
        await cluster.Redirects(["helloworld.default.svc.cluster.local"]);
        await Eventually.True(() => cluster.Api.RequestLog.Any(r => r.Resource == "events" && r.Verb == "patch"), "the first Redirected Event to be counted up");
        cluster.Api.Apply(KubeCluster.ConfigMap("coredns", new JsonObject { ["Corefile"] = KubeCluster.Kubeadm }));
        await cluster.Redirects(["helloworld.default.svc.cluster.local"]);
        await canal.Stop();
        var custom = cluster.StartCanal("--mode", "custom");
        await Eventually.True(() => cluster.Api.Get("", "v1", "configmaps", "kube-system", "coredns-custom") != null, () => $"coredns-custom to be created; canal said:\n{custom.Output}");
        await custom.Stop();
        foreach (var command in new[] { "purge", "restore" })
        {
            var dns = CanalProcess.Start(cluster.Temp.FullName, "dns", command, "--kubeconfig", cluster.Kubeconfig);
            await dns.WaitForExit();
            Assert.True(dns.ExitCode == 0, dns.Output);
        }

        var rules = Rules();
        var used = cluster.Api.RequestLog.Where(r => r.Resource.Length > 0).Select(r => (r.Verb, r.Group, r.Resource, r.Namespace, r.Name)).Distinct().ToList();
        Assert.NotEmpty(used);
        var denied = used.Where(u => !rules.Any(rule => rule.Allows(u.Verb, u.Group, u.Resource, u.Namespace, u.Name))).ToList();
        Assert.True(denied.Count == 0, "not granted by k8s/base/rbac.yaml: " + string.Join("; ", denied));
        var unused = rules
            .SelectMany(rule => rule.Groups.SelectMany(g => rule.Resources.SelectMany(r => rule.Verbs.Select(v => (Rule: rule, Group: g, Resource: r, Verb: v)))))
            .Where(grant => !used.Any(u => u.Verb == grant.Verb && u.Group == grant.Group && u.Resource == grant.Resource
                && grant.Rule.Allows(u.Verb, u.Group, u.Resource, u.Namespace, u.Name)))
            .Select(grant => $"{grant.Verb} {grant.Resource}.{grant.Group}{(grant.Rule.Namespace != null ? " in " + grant.Rule.Namespace : "")}")
            .ToList();
        Assert.True(unused.Count == 0, "granted by k8s/base/rbac.yaml but never used: " + string.Join("; ", unused));
    }
}
