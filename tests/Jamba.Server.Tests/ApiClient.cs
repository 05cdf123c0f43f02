using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Jamba.Server.Tests;

/// <summary>Requests and response parsing as an OpenAI-style client does them.</summary>
public static class ApiClient
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(object body) => Json(JsonSerializer.Serialize(body));

    public static async Task<(HttpResponseMessage Response, JsonNode Body)> PostAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostAsync(path, body is string json ? Json(json) : Json(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response, JsonNode.Parse(text) ?? throw new InvalidOperationException($"empty body from {path}"));
    }

    /// <summary>Posts a completion and returns the parsed body, failing with the body when the status is not 200.</summary>
    public static async Task<JsonNode> CompleteAsync(HttpClient client, object body, string path = "/v1/completions")
    {
        var (response, json) = await PostAsync(client, path, body);
        Assert.True(response.IsSuccessStatusCode, $"{path} returned {(int)response.StatusCode}: {json.ToJsonString()}");
        return json;
    }

    public static int[] TokenIds(JsonNode completion) =>
        completion["choices"]![0]!["token_ids"]!.AsArray().Select(id => id!.GetValue<int>()).ToArray();

    public static string Text(JsonNode completion) => completion["choices"]![0]!["text"]!.GetValue<string>();

    public static string? FinishReason(JsonNode completion) => completion["choices"]![0]!["finish_reason"]?.GetValue<string>();

    /// <summary>Sends a streaming request and returns the response once its headers arrived.</summary>
    public static async Task<HttpResponseMessage> StartStreamAsync(HttpClient client, object body, string path = "/v1/completions", CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Reads server-sent events: yields each data payload as JSON, stops at [DONE], fails on a stream that ends without it.</summary>
    public static async IAsyncEnumerable<JsonNode> ReadEventsAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            Assert.StartsWith("data: ", line);
            var data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                yield break;
            }

            yield return JsonNode.Parse(data)!;
        }

        Assert.Fail("the event stream ended without data: [DONE]");
    }

    public static async Task<string> MetricsAsync(HttpClient client) => await client.GetStringAsync("/metrics");

    /// <summary>Returns the value of one series in Prometheus text format, or null when it is absent.</summary>
    public static double? Sample(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Checks an error response: status, JSON content type and OpenAI's error body with its four fields.</summary>
    public static void AssertError(HttpResponseMessage response, JsonNode body, HttpStatusCode status, string? param, string? code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        var error = body["error"]!;
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.Equal(status == HttpStatusCode.TooManyRequests ? "rate_limit_error" : "invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]?.GetValue<string>());
        Assert.Equal(code, error["code"]?.GetValue<string>());
        Assert.True(error.AsObject().ContainsKey("param"));
        Assert.True(error.AsObject().ContainsKey("code"));
    }
}
