using Canal.Dns;
using Canal.Istio;

namespace Canal.Benchmarks.Scale;

/// <summary>
/// Where each mode's Corefile reaches a ConfigMap's 1 MiB, with the workload's host names: found by rendering
/// (a binary search over the number of redirected hosts), since past it the DnsWriter refuses to write.
/// </summary>
internal static class SizeLimit
{
    public static Table Run()
    {
        var table = new Table("size-limit", "mode", "hosts at the limit", "bytes per host", "Corefile bytes at the limit");
        foreach (var mode in new[] { DnsMode.Rewrite, DnsMode.Hosts, DnsMode.Custom })
        {
            int low = 1, high = 200_000;
            while (low < high)
            {
                var mid = (low + high + 1) / 2;
                if (Bytes(mode, mid) <= Workload.CorefileCapacity)
                    low = mid;
                else
                    high = mid - 1;
            }
            var bytes = Bytes(mode, low);
            table.Add(mode.ToString().ToLowerInvariant(), low, (double)(bytes - Bytes(mode, 0)) / low, bytes);
        }
        table.Notes.Add("Hosts are named as in the workload (svc-0042.team-007.svc.cluster.local); longer names reach the limit sooner.");
        table.Notes.Add("The limit counts the ConfigMap's other keys too; the DnsWriter reports the refusal (log, canal_dns_oversized_total) and keeps the last good Corefile.");
        return table;
    }

    private static long Bytes(DnsMode mode, int hosts)
    {
        var plan = new RedirectPlan(
            [.. Enumerable.Range(0, hosts).Select(i => new Redirect(Workload.Fqdn(Workload.Namespace(i % Workload.Namespaces), Workload.Service(i / Workload.Namespaces)),
                "canal.istio-system.svc.cluster.local", [Workload.GatewayIp]))],
            []);
        return System.Text.Encoding.UTF8.GetByteCount(CorefileUpdate.Apply(Workload.Corefile, plan, mode, "cluster.local").Text);
    }
}
