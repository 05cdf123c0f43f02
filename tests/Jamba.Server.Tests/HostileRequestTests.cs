using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Jamba.Server.Tests;

/// <summary>Requests a careless or hostile client sends: each gets a 4xx naming the problem and leaves the service serving.</summary>
[Collection(ServerCollection.Name)]
public sealed class HostileRequestTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Client;

    /// <summary>Bodies that are valid JSON syntax but contain strings no .NET string can represent.</summary>
    public static TheoryData<string, byte[], string?> UndecodableStrings => new()
    {
        { "/v1/completions", """{"prompt":"a\ud800b"}"""u8.ToArray(), "prompt" },
        { "/v1/completions", Utf8("{\"prompt\":\"", [0xFF, 0xFE], "\",\"max_tokens\":2}"), "prompt" },
        { "/v1/completions", Utf8("{\"prompt\":\"x\",\"stop\":[\"", [0xC3], "\"]}"), "stop" },
        { "/v1/completions", """{"prompt":"x","model":"\udc00"}"""u8.ToArray(), "model" },
        { "/v1/completions", """{"prompt":"x","user":"\ud800"}"""u8.ToArray(), "user" },
        { "/v1/completions", Utf8("{\"prompt\":\"x\",\"", [0xFF], "\":1}"), null },
        { "/v1/sessions", """{"\ud800":true}"""u8.ToArray(), null },
    };

    [Theory]
    [MemberData(nameof(UndecodableStrings))]
    public async Task UndecodableStringGets400(string path, byte[] body, string? param)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await Client.PostAsync(path, content);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        ApiClient.AssertError(response, error, HttpStatusCode.BadRequest, param, "invalid_encoding");
    }

    [Fact]
    public async Task MaxTokensNearIntMaxGets400()
    {
        // The prompt plus int.MaxValue overflows a 32-bit sum, which must not slip past the context check.
        var (response, error) = await ApiClient.PostAsync(Client, "/v1/completions", new { prompt = "x", max_tokens = int.MaxValue });

        ApiClient.AssertError(response, error, HttpStatusCode.BadRequest, "max_tokens", "context_length_exceeded");
    }

    [Fact]
    public async Task BusySessionGets409()
    {
        var session = await ApiClient.CompleteAsync(Client, new { pinned = false }, "/v1/sessions");
        var path = $"/v1/sessions/{session["id"]!.GetValue<string>()}/completions";

        // Greedy decoding of this prompt runs for over two hundred tokens before EOS.
        using var running = await ApiClient.StartStreamAsync(Client, new { prompt = "And God said", max_tokens = 1000, temperature = 0, stream = true }, path);
        await using var events = ApiClient.ReadEventsAsync(running).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync(), "the first generation sent no chunk");

        var (response, error) = await ApiClient.PostAsync(Client, path, new { prompt = " And", max_tokens = 2, temperature = 0 });

        ApiClient.AssertError(response, error, HttpStatusCode.Conflict, "session_id", "session_busy");

        // The session takes requests again once the first generation has ended.
        while (await events.MoveNextAsync())
        {
        }

        var after = await ApiClient.CompleteAsync(Client, new { prompt = " And", max_tokens = 2, temperature = 0 }, path);
        Assert.Equal(2, ApiClient.TokenIds(after).Length);
    }

    private static byte[] Utf8(string before, byte[] raw, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];
}
