using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Canal.Tests.KubeApi;

/// <summary>What the emulator puts on the wire, checked where no client would notice a difference from a real server.</summary>
public sealed class WireTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await KubeApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Lists_name_their_kind_and_resource_version_and_only_custom_resource_items_carry_a_kind()
    {
        _server.Apply(KubectlTests.ConfigMap("default", "a", "x"));
        _server.Apply(KubectlTests.VirtualService("default", "v", "v.example.com"));

        var (_, configMaps) = await Send(HttpMethod.Get, "/api/v1/configmaps");
        Assert.Equal(("ConfigMapList", "v1", _server.ResourceVersion.ToString()),
            ((string?)configMaps!["kind"], (string?)configMaps["apiVersion"], (string?)configMaps["metadata"]!["resourceVersion"]));
        Assert.Null(configMaps["items"]![0]!["kind"]);

        var (_, virtualServices) = await Send(HttpMethod.Get, "/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices");
        Assert.Equal(("VirtualServiceList", "networking.istio.io/v1beta1"), ((string?)virtualServices!["kind"], (string?)virtualServices["apiVersion"]));
        Assert.Equal(("VirtualService", "networking.istio.io/v1beta1"),
            ((string?)virtualServices["items"]![0]!["kind"], (string?)virtualServices["items"]![0]!["apiVersion"]));
    }

    [Fact]
    public async Task Errors_are_status_objects_with_the_real_reasons()
    {
        using var notFound = await _http.GetAsync($"{_server.Url}/apis/networking.istio.io/v1/namespaces/default/virtualservices/nope");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"virtualservices.networking.istio.io \"nope\" not found","reason":"NotFound","details":{"name":"nope","group":"networking.istio.io","kind":"virtualservices"},"code":404}""" + "\n",
            await notFound.Content.ReadAsStringAsync());

        Assert.Equal((409, "AlreadyExists"), await Reason(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", KubectlTests.ConfigMap("default", "a", "x"), twice: true));
        Assert.Equal((422, "Invalid"), await Reason(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", KubectlTests.ConfigMap("default", "Not_A_Name", "x")));
        Assert.Equal((400, "BadRequest"), await Reason(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", KubectlTests.ConfigMap("other", "a", "x")));
        Assert.Equal((400, "BadRequest"), await Reason(HttpMethod.Get, "/api/v1/configmaps?labelSelector=a%20in%20()"));
        Assert.Equal((405, "MethodNotAllowed"), await Reason(HttpMethod.Post, "/api/v1/configmaps", KubectlTests.ConfigMap("default", "b", "x")));
        Assert.Equal((404, "NotFound"), await Reason(HttpMethod.Get, "/apis/networking.istio.io/v1/namespaces/default/destinationrules"));
        Assert.Equal((422, "Invalid"), await Reason(HttpMethod.Put, "/apis/networking.istio.io/v1/namespaces/default/virtualservices/v", KubectlTests.VirtualService("default", "v", "x"), seed: true));
        var page = await _http.GetAsync($"{_server.Url}/healthz");
        Assert.Equal(("404 page not found\n", HttpStatusCode.NotFound), (await page.Content.ReadAsStringAsync(), page.StatusCode));
    }

    [Fact]
    public async Task Label_selectors_support_every_operator()
    {
        _server.Apply(Labelled("one", new() { ["tier"] = "web", ["rank"] = "1" }));
        _server.Apply(Labelled("two", new() { ["tier"] = "db", ["rank"] = "5" }));
        _server.Apply(Labelled("three", new() { ["rank"] = "9" }));

        Assert.Equal(["one"], await Names("tier=web"));
        Assert.Equal(["one"], await Names("tier==web"));
        Assert.Equal(["three", "two"], await Names("tier!=web"));
        Assert.Equal(["one", "two"], await Names("tier in (web, db)"));
        Assert.Equal(["three", "two"], await Names("tier notin (web)"));
        Assert.Equal(["one", "two"], await Names("tier"));
        Assert.Equal(["three"], await Names("!tier"));
        Assert.Equal(["three", "two"], await Names("rank>2"));
        Assert.Equal(["two"], await Names("rank>2,tier"));
    }

    [Fact]
    public async Task A_watch_streams_one_json_line_per_event_and_sees_objects_enter_and_leave_its_selector()
    {
        _server.Apply(Labelled("one", new() { ["tier"] = "web" }));
        using var response = await _http.GetAsync($"{_server.Url}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=tier%3Dweb", HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        Assert.Equal(("ADDED", "one"), Event(await lines.ReadLineAsync()));
        _server.Apply(Labelled("two", new() { ["tier"] = "db" }));
        _server.Apply(Labelled("two", new() { ["tier"] = "web" }));
        Assert.Equal(("ADDED", "two"), Event(await lines.ReadLineAsync()));
        _server.Apply(Labelled("one", new() { ["tier"] = "web", ["more"] = "yes" }));
        Assert.Equal(("MODIFIED", "one"), Event(await lines.ReadLineAsync()));
        _server.Apply(Labelled("one", new() { ["tier"] = "gone" }));
        Assert.Equal(("DELETED", "one"), Event(await lines.ReadLineAsync()));
        _server.Delete("", "configmaps", "default", "two");
        var deleted = JsonNode.Parse((await lines.ReadLineAsync())!)!;
        Assert.Equal("DELETED", (string?)deleted["type"]);
        Assert.Equal(_server.ResourceVersion.ToString(), (string?)deleted["object"]!["metadata"]!["resourceVersion"]);
        Assert.Equal(("ConfigMap", "v1"), ((string?)deleted["object"]!["kind"], (string?)deleted["object"]!["apiVersion"]));
    }

    [Fact]
    public async Task Writes_that_change_nothing_get_no_resource_version_and_only_spec_changes_count_as_generations()
    {
        var created = _server.Apply(KubectlTests.VirtualService("default", "v", "v.example.com"));
        var rv = _server.ResourceVersion;
        var (code, same) = await Send(HttpMethod.Put, "/apis/networking.istio.io/v1/namespaces/default/virtualservices/v", created);
        Assert.Equal((200, rv.ToString()), (code, (string?)same!["metadata"]!["resourceVersion"]));
        Assert.Single(_server.Revisions("networking.istio.io", "virtualservices", "default", "v"));

        var (_, labelled) = await Send(HttpMethod.Patch, "/apis/networking.istio.io/v1/namespaces/default/virtualservices/v",
            JsonNode.Parse("""{"metadata":{"labels":{"a":"b"}},"status":{"ignored":true}}"""), "application/merge-patch+json");
        Assert.Equal(1, (int)labelled!["metadata"]!["generation"]!);
        Assert.Null(labelled["status"]);
        var (_, respecified) = await Send(HttpMethod.Patch, "/apis/networking.istio.io/v1/namespaces/default/virtualservices/v",
            JsonNode.Parse("""{"spec":{"hosts":["w.example.com"]}}"""), "application/merge-patch+json");
        Assert.Equal(2, (int)respecified!["metadata"]!["generation"]!);
    }

    [Fact]
    public async Task Deletes_answer_as_the_real_registries_do_and_respect_finalizers_and_namespaces()
    {
        _server.Apply(KubectlTests.ConfigMap("default", "plain", "x"));
        var (_, status) = await Send(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/plain");
        Assert.Equal(("Status", "Success"), ((string?)status!["kind"], (string?)status["status"]));

        _server.Apply(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld", "helloworld.yaml")));
        var (_, service) = await Send(HttpMethod.Delete, "/api/v1/namespaces/default/services/helloworld");
        Assert.Equal("Service", (string?)service!["kind"]);

        var held = KubectlTests.ConfigMap("default", "held", "x");
        held["metadata"]!["finalizers"] = new JsonArray("example.com/hold");
        _server.Apply(held);
        var (_, pending) = await Send(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/held");
        Assert.NotNull(pending!["metadata"]!["deletionTimestamp"]);
        Assert.NotNull(_server.Get("", "v1", "configmaps", "default", "held"));
        await Send(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/held", JsonNode.Parse("""{"metadata":{"finalizers":null}}"""), "application/merge-patch+json");
        Assert.Null(_server.Get("", "v1", "configmaps", "default", "held"));

        _server.Apply(KubectlTests.VirtualService("istio-system", "inside", "inside.example.com"));
        var (_, terminating) = await Send(HttpMethod.Delete, "/api/v1/namespaces/istio-system");
        Assert.Equal("Terminating", (string?)terminating!["status"]!["phase"]);
        Assert.Null(_server.Get("networking.istio.io", "v1", "virtualservices", "istio-system", "inside"));
        Assert.Null(_server.Get("", "v1", "namespaces", null, "istio-system"));
    }

    [Fact]
    public async Task A_server_can_serve_only_v1alpha3_of_istio()
    {
        await using var old = await KubeApiServer.StartAsync(new KubeApiOptions { IstioVersions = ["v1alpha3"] });
        var virtualService = KubectlTests.VirtualService("default", "v", "v.example.com");
        virtualService["apiVersion"] = "networking.istio.io/v1alpha3";
        old.Apply(virtualService);

        var groups = JsonNode.Parse(await _http.GetStringAsync($"{old.Url}/apis"))!["groups"]!.AsArray();
        var istio = groups.Single(g => (string?)g!["name"] == "networking.istio.io")!;
        Assert.Equal("networking.istio.io/v1alpha3", (string?)istio["preferredVersion"]!["groupVersion"]);
        Assert.Single(istio["versions"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"{old.Url}/apis/networking.istio.io/v1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"{old.Url}/apis/networking.istio.io/v1/virtualservices")).StatusCode);
        var list = JsonNode.Parse(await _http.GetStringAsync($"{old.Url}/apis/networking.istio.io/v1alpha3/virtualservices"))!;
        Assert.Equal("networking.istio.io/v1alpha3", (string?)list["items"]![0]!["apiVersion"]);
    }

    private static JsonObject Labelled(string name, Dictionary<string, string> labels)
    {
        var configMap = KubectlTests.ConfigMap("default", name, "x");
        configMap["metadata"]!["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        return configMap;
    }

    private async Task<string[]> Names(string selector)
    {
        var (code, list) = await Send(HttpMethod.Get, $"/api/v1/namespaces/default/configmaps?labelSelector={Uri.EscapeDataString(selector)}");
        Assert.Equal(200, code);
        return [.. list!["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!).Order()];
    }

    private async Task<(int, string?)> Reason(HttpMethod method, string path, JsonNode? body = null, bool twice = false, bool seed = false)
    {
        if (seed)
            _server.Apply((JsonObject)body!);
        if (twice)
            await Send(method, path, body);
        var (code, status) = await Send(method, path, body);
        Assert.Equal("Status", (string?)status!["kind"]);
        return (code, (string?)status["reason"]);
    }

    private static (string?, string?) Event(string? line)
    {
        var parsed = JsonNode.Parse(line!)!;
        return ((string?)parsed["type"], (string?)parsed["object"]!["metadata"]!["name"]);
    }

    private async Task<(int Code, JsonNode? Body)> Send(HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, _server.Url + path);
        if (body != null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType);
        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }
}
