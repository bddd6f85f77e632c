using System.Text.Json;
using Canal.GatewayApi;
using Canal.Istio;

namespace Canal.Tests.GatewayApi;

/// <summary>The source translates every view; a route whose inputs are the same instances is not translated again, and the result is always the full translation's.</summary>
public sealed class TranslationCacheTests
{
    private static readonly RedirectOptions Options = new();
    private static readonly Dictionary<string, IReadOnlyDictionary<string, string>> NoLabels = [];

    private static readonly ApiGateway Mesh = new(new ObjectKey("istio-system", "mesh"), "canal", [],
        [new Listener("http", 80, "HTTP", null, null, new AllowedRoutes("All", null, []))]);

    private static ApiRoute Route(string ns, string name, string backend, string? backendNamespace = null) =>
        new(ApiRouteKind.HTTPRoute, new ObjectKey(ns, name), [], [new ParentRef(GatewayApiGroup.Name, "Gateway", "istio-system", "mesh", null, null)],
            [new BackendRef("", "Service", backend, backendNamespace, 8080, "spec.rules[0].backendRefs[0]")]);

    private static string Json(Translation translation) => JsonSerializer.Serialize(translation);

    [Fact]
    public void An_unchanged_route_keeps_its_VirtualService_instance_and_is_not_translated_again()
    {
        var cache = new TranslationCache();
        var objects = new GatewayApiObjects([Mesh], [Route("shop", "a", "reviews"), Route("shop", "b", "ratings")], [], NoLabels);

        var first = GatewayApiTranslation.Translate(objects, Options, cache);
        var second = GatewayApiTranslation.Translate(objects with { Routes = [.. objects.Routes] }, Options, cache);

        Assert.Equal(2, cache.Translated);
        Assert.Equal(first.VirtualServices, second.VirtualServices, ReferenceEqualityComparer.Instance);
        Assert.Equal(Json(GatewayApiTranslation.Translate(objects, Options)), Json(second));
    }

    [Fact]
    public void A_route_is_translated_again_when_it_its_gateway_its_namespaces_labels_or_a_grant_changes_and_a_removed_one_is_forgotten()
    {
        var cache = new TranslationCache();
        var (a, b) = (Route("shop", "a", "reviews", "store"), Route("shop", "b", "ratings"));
        var objects = new GatewayApiObjects([Mesh], [a, b], [], NoLabels);
        GatewayApiTranslation.Translate(objects, Options, cache);
        var grant = new ReferenceGrant(new ObjectKey("store", "shop-may"), [new GrantFrom(GatewayApiGroup.Name, "HTTPRoute", "shop")], [new GrantTo("", "Service", null)]);
        var labels = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["shop"] = new Dictionary<string, string> { ["team"] = "shop" } };
        var steps = new (string What, GatewayApiObjects Objects, long Translated)[]
        {
            ("a changed route", objects = objects with { Routes = [a with { Hostnames = ["*.cluster.local"] }, b] }, 1),
            ("a changed gateway", objects = objects with { Gateways = [Mesh with { Listeners = [.. Mesh.Listeners] }] }, 2),
            ("new labels of the routes' namespace", objects = objects with { NamespaceLabels = labels }, 2),
            ("a new grant", objects = objects with { Grants = [grant] }, 2),
            ("nothing", objects, 0),
            ("a route removed, then back", objects with { Routes = [objects.Routes[0]] }, 0),
            ("the removed route back", objects, 1),
        };

        foreach (var (what, step, translated) in steps)
        {
            var before = cache.Translated;
            var cached = GatewayApiTranslation.Translate(step, Options, cache);
            Assert.True(translated == cache.Translated - before, $"{what}: {cache.Translated - before} routes translated, not {translated}");
            Assert.Equal(Json(GatewayApiTranslation.Translate(step, Options)), Json(cached));
        }
    }
}
