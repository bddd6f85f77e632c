using System.Text.RegularExpressions;
using Canal.Istio;
using CsCheck;

namespace Canal.Tests.Istio;

public partial class HostNameTests
{
    private const string Domain = "cluster.local";

    [Theory]
    [InlineData("reviews", "reviews.bookinfo.svc.cluster.local")]
    [InlineData("reviews.shop.svc.cluster.local", "reviews.shop.svc.cluster.local")]
    [InlineData("web-0.reviews.shop.svc.cluster.local", "web-0.reviews.shop.svc.cluster.local")]
    [InlineData("123", "123.bookinfo.svc.cluster.local")]
    public void A_name_without_dots_is_completed_in_the_virtual_service_namespace_and_one_with_dots_is_taken_as_written(string host, string fqdn)
    {
        Assert.Equal(HostResolution.Accept(fqdn), HostName.Resolve(host, "bookinfo", Domain));
    }

    [Theory]
    [InlineData("Reviews", "reviews.bookinfo.svc.cluster.local")]
    [InlineData("REVIEWS.Shop.SVC.cluster.local", "reviews.shop.svc.cluster.local")]
    [InlineData("reviews.shop.svc.cluster.local.", "reviews.shop.svc.cluster.local")]
    [InlineData("Reviews.Shop.Svc.Cluster.Local.", "reviews.shop.svc.cluster.local")]
    public void Normalises_upper_case_and_a_trailing_dot(string host, string fqdn)
    {
        Assert.Equal(fqdn, HostName.Resolve(host, "bookinfo", Domain).Fqdn);
    }

    [Theory]
    [InlineData("reviews", "reviews.bookinfo.svc.corp.example")]
    [InlineData("reviews.shop.svc.corp.example", "reviews.shop.svc.corp.example")]
    public void Completes_in_a_configured_cluster_domain(string host, string fqdn)
    {
        Assert.Equal(fqdn, HostName.Resolve(host, "bookinfo", "corp.example").Fqdn);
    }

    [Fact]
    public void A_name_in_the_default_domain_is_outside_another_cluster_domain()
    {
        var resolution = HostName.Resolve("reviews.shop.svc.cluster.local", "bookinfo", "corp.example");
        Assert.Null(resolution.Fqdn);
        Assert.Contains("outside the cluster domain corp.example", resolution.SkipReason);
    }

    [Theory]
    [InlineData("www.example.com")]
    [InlineData("api.github.com.")]
    [InlineData("a.b.c")]
    [InlineData("reviews.")]
    [InlineData("cluster.local.")]
    public void Names_outside_the_cluster_domain_are_skipped(string host)
    {
        var resolution = HostName.Resolve(host, "bookinfo", Domain);
        Assert.Null(resolution.Fqdn);
        Assert.Contains("outside the cluster domain cluster.local", resolution.SkipReason);
    }

    // Istio looks a name with dots up as written: its registry has no "httpbin.org.svc.cluster.local" nor a "reviews.shop",
    // so the gateway would drop what a pod's search path sends it. With ndots:5, pods ask httpbin.org.svc.cluster.local first.
    [Theory]
    [InlineData("httpbin.org", null)]
    [InlineData("payments.stripe", null)]
    [InlineData("reviews.shop", "write reviews.shop.svc.cluster.local if Service shop/reviews is meant")]
    [InlineData("reviews.shop.svc", "write reviews.shop.svc.cluster.local if Service shop/reviews is meant")]
    public void A_name_with_dots_outside_the_cluster_domain_is_never_completed_into_it(string host, string? hint)
    {
        var resolution = HostName.Resolve(host, "bookinfo", Domain);

        Assert.Null(resolution.Fqdn);
        Assert.Contains("Istio takes a name with dots as written", resolution.SkipReason);
        if (hint != null)
            Assert.Contains(hint, resolution.SkipReason);
    }

    [Theory]
    [InlineData("reviews\n}\nforward . 1.2.3.4", "a line break")]
    [InlineData("reviews.shop.svc.cluster.local\n    forward . 1.2.3.4", "a line break")]
    [InlineData("reviews\r\nhosts {", "a line break")]
    [InlineData("reviews shop", "a space")]
    [InlineData("reviews\tshop", "a tab")]
    [InlineData("reviews{", "'{'")]
    [InlineData("}reviews", "'}'")]
    [InlineData("\"reviews\"", "'\"'")]
    [InlineData("reviews'", "'''")]
    [InlineData("reviews#comment", "'#'")]
    [InlineData("reviews;rm", "';'")]
    [InlineData("my_service", "'_'")]
    [InlineData("reviews:9080", "':'")]
    [InlineData("révíews", "'é'")]
    [InlineData("reviews\0", "control character U+0000")]
    public void Hostile_and_invalid_characters_are_skipped_with_a_reason(string host, string what)
    {
        var resolution = HostName.Resolve(host, "bookinfo", Domain);
        Assert.Null(resolution.Fqdn);
        Assert.Contains($"contains {what}", resolution.SkipReason);
        Assert.DoesNotContain('\n', resolution.SkipReason!);
        Assert.DoesNotContain('\r', resolution.SkipReason!);
    }

    [Theory]
    [InlineData("10.0.0.1", "IP address")]
    [InlineData("192.168.1.254", "IP address")]
    [InlineData("::1", "IP address")]
    [InlineData("2001:db8::1", "IP address")]
    [InlineData("[2001:db8::1]", "IP address")]
    [InlineData("*", "wildcard")]
    [InlineData("*.shop.svc.cluster.local", "wildcard")]
    [InlineData("*.example.com", "wildcard")]
    [InlineData("", "empty host")]
    [InlineData("reviews..svc.cluster.local", "empty label")]
    [InlineData(".reviews", "empty label")]
    [InlineData(".", "empty label")]
    [InlineData("-reviews", "starts or ends with '-'")]
    [InlineData("reviews-.shop", "starts or ends with '-'")]
    [InlineData("reviews.-shop.svc.cluster.local", "starts or ends with '-'")]
    public void IPs_wildcards_and_malformed_names_are_skipped_with_a_reason(string host, string why)
    {
        var resolution = HostName.Resolve(host, "bookinfo", Domain);
        Assert.Null(resolution.Fqdn);
        Assert.Contains(why, resolution.SkipReason);
    }

    [Fact]
    public void Labels_may_have_63_characters_but_not_64()
    {
        var label63 = new string('a', 63);
        Assert.Equal($"{label63}.bookinfo.svc.cluster.local", HostName.Resolve(label63, "bookinfo", Domain).Fqdn);

        var resolution = HostName.Resolve(new string('a', 64), "bookinfo", Domain);
        Assert.Null(resolution.Fqdn);
        Assert.Contains("longer than 63 characters", resolution.SkipReason);
    }

    [Fact]
    public void Names_may_have_253_characters_but_not_more()
    {
        // 3 × 63-character labels + "x" labels to pad, ending in .svc.cluster.local: exactly 253, then 255.
        var prefix = string.Join('.', Enumerable.Repeat(new string('a', 63), 3));
        var at253 = $"{prefix}.{new string('b', 253 - prefix.Length - ".shop.svc.cluster.local".Length - 1)}.shop.svc.cluster.local";
        Assert.Equal(253, at253.Length);
        Assert.Equal(at253, HostName.Resolve(at253, "bookinfo", Domain).Fqdn);

        var at255 = "cc." + at253;
        var resolution = HostName.Resolve(at255, "bookinfo", Domain);
        Assert.Null(resolution.Fqdn);
        Assert.Contains("longer than 253 characters", resolution.SkipReason);
    }

    [Fact]
    public void A_short_name_too_long_once_completed_is_skipped()
    {
        var longDomain = string.Join('.', Enumerable.Repeat(new string('d', 50), 4));
        var resolution = HostName.Resolve(new string('a', 63), new string('s', 20), longDomain);
        Assert.Null(resolution.Fqdn);
        Assert.Contains("once completed", resolution.SkipReason);
    }

    [Theory]
    [InlineData("bad ns\n}\nforward . 1.2.3.4")]
    [InlineData("Shop")]
    [InlineData("shop{")]
    [InlineData("")]
    public void A_short_name_completed_with_an_invalid_namespace_is_skipped(string @namespace)
    {
        // Local manifests are not validated by an API server: the namespace can be anything.
        var resolution = HostName.Resolve("reviews", @namespace, Domain);
        Assert.Null(resolution.Fqdn);
        Assert.NotNull(resolution.SkipReason);
        Assert.DoesNotContain('\n', resolution.SkipReason!);
    }

    [Fact]
    public void Skip_reasons_quote_the_host_on_one_line_and_shorten_long_ones()
    {
        var reason = HostName.Resolve("a\nb " + new string('x', 200), "bookinfo", Domain).SkipReason!;
        Assert.StartsWith("\"a\\nb xxx", reason);
        Assert.Contains("…\"", reason);
        Assert.True(reason.Length < 200, reason);
    }

    [Theory]
    [InlineData("reviews.shop.svc.cluster.local", "shop", "reviews")]
    [InlineData("web-0.reviews.shop.svc.cluster.local", null, null)]
    [InlineData("reviews.cluster.local", null, null)]
    public void ServiceOf_names_the_Service_behind_a_service_name(string fqdn, string? @namespace, string? name)
    {
        var expected = @namespace == null ? (ObjectKey?)null : new ObjectKey(@namespace, name!);
        Assert.Equal(expected, HostName.ServiceOf(fqdn, Domain));
    }

    [Theory]
    [InlineData("reviews.shop.svc.cluster.local", "shop")]
    [InlineData("web-0.reviews.shop.svc.cluster.local", "shop")]
    [InlineData("reviews.cluster.local", "fallback")]
    public void NamespaceOf_is_the_label_before_svc(string fqdn, string @namespace)
    {
        Assert.Equal(@namespace, HostName.NamespaceOf(fqdn, Domain, "fallback"));
    }

    [Theory]
    [InlineData("cluster.local", true)]
    [InlineData("corp.example", true)]
    [InlineData("local", true)]
    [InlineData("Cluster.local", false)]
    [InlineData("cluster..local", false)]
    [InlineData("cluster.local.", false)]
    [InlineData("cluster local", false)]
    [InlineData("", false)]
    public void IsValidDomain_accepts_only_lowercase_dns_names(string domain, bool valid)
    {
        Assert.Equal(valid, HostName.IsValidDomain(domain));
    }

    // Pieces that make the interesting cases likely: valid labels, separators, DNS-hostile characters.
    private static readonly Gen<string> Piece = Gen.OneOf(
        Gen.OneOf("reviews", "shop", "svc", "cluster", "local", "corp", "example", "A", "Z", "0", "9", "x1-y"),
        Gen.OneOf(".", ".", "-", "*", " ", "{", "}", "\"", "'", "#", ";", "\n", "\r", "\t", ":", "/", "_", "é", "\0", "[", "]"),
        Gen.OneOf("1.2.3.4", "::1", "forward . 8.8.8.8", "}\n", new string('a', 63), new string('a', 64)),
        Gen.String);

    private static readonly Gen<string> Host = Gen.OneOf(
        Piece.Array[0, 12].Select(p => string.Concat(p)),
        Gen.String,
        Gen.Char["abcz09.-"].Array[0, 300].Select(c => new string(c)));

    private static readonly Gen<string> ClusterDomain = Gen.OneOf("cluster.local", "corp.example", "k8s.internal.example.com");

    [Fact]
    public void Any_string_resolves_to_a_safe_fqdn_in_the_cluster_domain_or_to_a_skip_reason()
    {
        Gen.Select(Host, ClusterDomain).Sample((host, domain) => AssertSafe(HostName.Resolve(host, "bookinfo", domain), domain), iter: 20_000);
    }

    [Fact]
    public void Any_string_as_host_and_namespace_resolves_to_a_safe_fqdn_or_to_a_skip_reason()
    {
        Gen.Select(Host, Host, ClusterDomain).Sample((host, @namespace, domain) => AssertSafe(HostName.Resolve(host, @namespace, domain), domain), iter: 20_000);
    }

    [Fact]
    public void A_resolved_name_resolves_to_itself()
    {
        Host.Sample(host =>
        {
            if (HostName.Resolve(host, "bookinfo", Domain).Fqdn is { } fqdn)
                Assert.Equal(fqdn, HostName.Resolve(fqdn, "elsewhere", Domain).Fqdn);
        }, iter: 20_000);
    }

    private static void AssertSafe(HostResolution resolution, string domain)
    {
        if (resolution.Fqdn is { } fqdn)
        {
            Assert.Null(resolution.SkipReason);
            Assert.Matches(SafeName(), fqdn);
            Assert.EndsWith("." + domain, fqdn);
            Assert.True(fqdn.Length <= 253, fqdn);
            Assert.All(fqdn.Split('.'), label => Assert.True(label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-', fqdn));
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(resolution.SkipReason));
            Assert.DoesNotContain('\n', resolution.SkipReason!);
        }
    }

    [GeneratedRegex("^[a-z0-9.-]+$")]
    private static partial Regex SafeName();
}
