using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Canal.Cmd;

/// <summary>The management API over HTTP: JSON in, JSON out, errors carrying the server's message.</summary>
internal sealed class ManagementClient(string endpoint, string? token) : IDisposable
{
    private readonly HttpClient _http = CreateClient(endpoint, token);

    public string Endpoint => endpoint;

    public async Task<JsonNode?> Get(string path, CancellationToken cancellationToken) =>
        await Send(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public async Task<JsonNode?> Post(string path, object? body, CancellationToken cancellationToken) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body ?? new { }), Encoding.UTF8, "application/json"),
        }, cancellationToken);

    /// <summary>Streams the lines of a long-lived answer (<c>cluster tail</c>) until it ends or is cancelled.</summary>
    public async IAsyncEnumerable<string> Lines(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccess(response, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
            yield return line;
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonNode?> Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccess(response, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private static async Task EnsureSuccess(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string? message = null;
        try
        {
            message = (string?)JsonNode.Parse(text)?["error"];
        }
        catch (JsonException)
        {
        }
        throw new ManagementException((int)response.StatusCode, message ?? (text.Length > 0 ? text : response.ReasonPhrase ?? "request failed"));
    }

    private static HttpClient CreateClient(string endpoint, string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{endpoint}/"), Timeout = Timeout.InfiniteTimeSpan };
        if (token != null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>The server answered with an error; <see cref="StatusCode"/> and its message.</summary>
internal sealed class ManagementException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
