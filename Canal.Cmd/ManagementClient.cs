using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Canal.Contracts;

namespace Canal.Cmd;

/// <summary>The management API over HTTP: answers read into Canal.Contracts' types, errors carrying the server's message.</summary>
internal sealed class ManagementClient(string endpoint, string? token) : IDisposable
{
    private readonly HttpClient _http = CreateClient(endpoint, token);

    public string Endpoint => endpoint;

    public async Task<T> Get<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        return await Read<T>(response, cancellationToken);
    }

    public async Task<T> Post<T>(string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(path, body ?? new { }, ManagementJson.Options, cancellationToken);
        return await Read<T>(response, cancellationToken);
    }

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

    private static async Task<T> Read<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccess(response, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ManagementJson.Options, cancellationToken)
                ?? throw new ManagementException((int)response.StatusCode, "the server answered nothing");
        }
        catch (JsonException e)
        {
            // A server of another version: say so rather than print blanks.
            throw new ManagementException((int)response.StatusCode, $"the answer is not what this canal-cmd understands ({e.Message}); are canal-cmd and canal the same version?");
        }
    }

    private static async Task EnsureSuccess(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string? message = null;
        try
        {
            message = JsonSerializer.Deserialize<ErrorAnswer>(text, ManagementJson.Options)?.Error;
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
