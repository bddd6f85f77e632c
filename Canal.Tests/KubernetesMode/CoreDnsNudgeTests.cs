using Akka.Actor;
using Akka.TestKit.Xunit2;
using Canal.Dns;
using Canal.DnsWriter;
using Canal.Istio;
using Canal.Node.Kubernetes;
using Canal.Tests.KubeApi;
using Canal.Tests.Support;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace Canal.Tests.KubernetesMode;

/// <summary>The nudge against the API emulator: which pods it annotates, and how a burst of writes is paced.</summary>
public sealed class CoreDnsNudgeTests() : TestKit(ActorTestConfig.Hocon)
{
    private static CorefileWritten Written(long write, long stamp = 42) =>
        new(write, "kube-system/coredns", DnsMode.Hosts, 1, [], [], WriteMarker.Name(write, stamp, "cluster.local"));

    private static string KubeDnsSlice(params string[] pods) =>
        DnsResponder.KubeDnsSliceOf("kube-dns-abcde", 53, [.. pods.Select((p, i) => ($"10.244.0.{i + 10}", p))]);

    [Fact]
    public async Task A_burst_of_writes_annotates_each_pod_that_mounts_the_ConfigMap_twice_with_the_first_and_the_newest_write()
    {
        await using var api = await KubeApiServer.StartAsync();
        using var kubelet = new KubeletModel(api, Timeout.InfiniteTimeSpan);
        kubelet.Mount("coredns-a");
        kubelet.Mount("coredns-b");
        // Behind kube-dns but without the ConfigMap (a node-local cache, say): a nudge would do it no good.
        api.Apply("apiVersion: v1\nkind: Pod\nmetadata: {name: cache-c, namespace: kube-system}\nspec: {containers: [{name: cache, image: cache}]}\n");
        api.Apply(KubeDnsSlice("coredns-a", "coredns-b", "cache-c"));
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        var nudge = Sys.ActorOf(Props.Create(() => new CoreDnsNudge(client, new ObjectKey("kube-system", "kube-dns"), "coredns", NullLogger.Instance)));

        for (var write = 1; write <= 5; write++)
            nudge.Tell(Written(write));

        string?[] Annotations(string pod) =>
            [.. api.Revisions("", "pods", "kube-system", pod).Select(r => (string?)System.Text.Json.Nodes.JsonNode.Parse(r)?["metadata"]?["annotations"]?[CoreDnsNudge.Annotation])];
        await Eventually.True(() => Annotations("coredns-a").Contains("w5-16") && Annotations("coredns-b").Contains("w5-16"), "write #5 on both CoreDNS pods");
        Assert.Equal(["w1-16", "w5-16"], Annotations("coredns-a").Where(a => a != null));
        Assert.Equal(4, api.RequestLog.Count(r => r.Resource == "pods" && r.Verb == "patch"));
        Assert.DoesNotContain(api.RequestLog, r => r.Resource == "pods" && r.Verb == "patch" && r.Name == "cache-c");
        Assert.Equal(2, kubelet.Refreshes.Count(r => r.Pod == "coredns-a" && r.Annotated));

        // A new DnsWriter numbers its writes from 1 again: its stamp still changes the annotation, so kubelet still syncs.
        nudge.Tell(Written(1, stamp: 43));
        await Eventually.True(() => Annotations("coredns-a").Contains("w1-17"), "a restarted DnsWriter's write #1 on the pod");
        Assert.Equal(3, kubelet.Refreshes.Count(r => r.Pod == "coredns-a" && r.Annotated));
    }
}
