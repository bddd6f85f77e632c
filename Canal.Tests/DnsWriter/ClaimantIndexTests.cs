using Canal.DnsWriter;
using Canal.Istio;
using Canal.Mapping;

namespace Canal.Tests.DnsWriter;

/// <summary>The DnsWriter's index of every host's claimants, kept push by push, is the index rebuilt from every namespace's claims.</summary>
public sealed class ClaimantIndexTests
{
    private static readonly ObjectKey Gateway = new("istio-system", "canal");

    /// <summary>The index as the DnsWriter built it on every plan before: every namespace in the order first seen, each namespace's claims in order.</summary>
    internal static Dictionary<string, List<HostClaimant>> Rebuilt(IEnumerable<NamespaceClaims> namespaces)
    {
        var index = new Dictionary<string, List<HostClaimant>>(StringComparer.Ordinal);
        foreach (var claim in namespaces.SelectMany(n => n.Claims))
        {
            for (var i = 0; i < claim.Hosts.Count; i++)
            {
                if (!index.TryGetValue(claim.Hosts[i], out var list))
                    index[claim.Hosts[i]] = list = [];
                list.Add(new HostClaimant(claim.Claimer, claim.RoutesOf(i)));
            }
        }
        return index;
    }

    [Fact]
    public void Pushed_claims_index_as_a_rebuild_would_and_untouched_hosts_keep_their_list()
    {
        var random = new Random(7);
        var index = new ClaimantIndex();
        var held = new Dictionary<string, NamespaceClaims>(StringComparer.Ordinal);
        long version = 0;
        // A few hosts outside any Service's namespace are claimed from several namespaces.
        string[] hosts = [.. Enumerable.Range(0, 12).Select(i => $"h{i}.ns{i % 3}.svc.cluster.local"), "shared.cluster.local", "other.cluster.local"];
        for (var step = 0; step < 400; step++)
        {
            var ns = $"ns{random.Next(4)}";
            var claims = held.GetValueOrDefault(ns)?.Claims.ToDictionary(c => c.Claimer) ?? [];
            var claimer = new ObjectKey(ns, $"vs{random.Next(5)}");
            if (random.Next(4) == 0)
                claims.Remove(claimer);
            else
            {
                var claimed = hosts.Where(_ => random.Next(4) == 0).ToList();
                claims[claimer] = new NamespaceClaim(claimer, ++version, [Gateway], claimed,
                    [.. claimed.Select(_ => new HostRoutes([new RouteBinding(Gateway, random.Next(2) == 0 ? null : 80, RouteKind.Http, ns)]))]);
            }
            var now = new NamespaceClaims(ns, ++version, [.. claims.Values.OrderBy(c => c.Claimer)]);
            var before = index.ByHost.ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
            var changed = (held.GetValueOrDefault(ns)?.Claims ?? []).Concat(now.Claims)
                .GroupBy(c => c.Claimer).Where(g => g.Count() != 2 || g.First().Version != g.Last().Version)
                .SelectMany(g => g.SelectMany(c => c.Hosts)).ToHashSet(StringComparer.Ordinal);

            index.Replace(held.GetValueOrDefault(ns), now);
            held[ns] = now;

            var rebuilt = Rebuilt(held.Values);
            Assert.Equal(rebuilt.Keys.Order(StringComparer.Ordinal), index.ByHost.Keys.Order(StringComparer.Ordinal));
            Assert.All(rebuilt, r => Assert.True(HostClaimant.Same(r.Value, index.ByHost[r.Key]), $"step {step}: {r.Key}"));
            Assert.All(index.ByHost.Where(h => !changed.Contains(h.Key) && before.ContainsKey(h.Key)),
                h => Assert.Same(before[h.Key], h.Value));
        }
    }
}
