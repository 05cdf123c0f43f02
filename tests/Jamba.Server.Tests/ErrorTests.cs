using System.Net;
using System.Text.Json.Nodes;

namespace Jamba.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ErrorTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Client;

    public static TheoryData<string, string?, string?> BadCompletions => new()
    {
        { "{\"prompt\": \"x\",", null, "invalid_json" },
        { "not json", null, "invalid_json" },
        { """{"prompt":"x","unknown_option":true}""", "unknown_option", "unknown_field" },
        { """{"prompt":"x","max_tokens":"ten"}""", "max_tokens", "invalid_type" },
        { """{"prompt":{"text":"x"}}""", "prompt", "invalid_type" },
        { """{"prompt":"x","max_tokens":-5}""", "max_tokens", "invalid_value" },
        { """{"prompt":"x","temperature":-1}""", "temperature", "invalid_value" },
        { """{"prompt":"x","top_p":0}""", "top_p", "invalid_value" },
        { """{"prompt":"x","top_p":1.5}""", "top_p", "invalid_value" },
        { """{"prompt":"x","n":3}""", "n", "invalid_value" },
        { """{"prompt":[1,2048]}""", "prompt", "invalid_token" },
        { """{"prompt":[1,-1]}""", "prompt", "invalid_token" },
        { """{"prompt":"x","max_tokens":4096}""", "max_tokens", "context_length_exceeded" },
    };

    [Theory]
    [MemberData(nameof(BadCompletions))]
    public async Task BadCompletionGets400(string body, string? param, string? code)
    {
        var (response, error) = await ApiClient.PostAsync(Client, "/v1/completions", body);

        ApiClient.AssertError(response, error, HttpStatusCode.BadRequest, param, code);
    }

    [Fact]
    public async Task PromptLongerThanContextGets400()
    {
        var prompt = Enumerable.Repeat(5, 4097).ToArray();

        var (response, error) = await ApiClient.PostAsync(Client, "/v1/completions", new { prompt, max_tokens = 1 });

        ApiClient.AssertError(response, error, HttpStatusCode.BadRequest, "prompt", "context_length_exceeded");
        Assert.Contains("4096", error["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task BadStreamingRequestGets400NotStream()
    {
        using var response = await ApiClient.StartStreamAsync(Client, new { prompt = "x", stream = true, top_p = 2 });
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        ApiClient.AssertError(response, error, HttpStatusCode.BadRequest, "top_p", "invalid_value");
    }

    [Fact]
    public async Task UnknownSessionGets404()
    {
        var (completion, completionError) = await ApiClient.PostAsync(Client, "/v1/sessions/no-such-session/completions", new { prompt = "x" });
        using var get = await Client.GetAsync("/v1/sessions/no-such-session");
        using var delete = await Client.DeleteAsync("/v1/sessions/no-such-session");

        ApiClient.AssertError(completion, completionError, HttpStatusCode.NotFound, "session_id", "not_found");
        ApiClient.AssertError(get, JsonNode.Parse(await get.Content.ReadAsStringAsync())!, HttpStatusCode.NotFound, "session_id", "not_found");
        ApiClient.AssertError(delete, JsonNode.Parse(await delete.Content.ReadAsStringAsync())!, HttpStatusCode.NotFound, "session_id", "not_found");
    }

    [Fact]
    public async Task BadSessionBodyGets400()
    {
        var (response, error) = await ApiClient.PostAsync(Client, "/v1/sessions", """{"pinned":"yes"}""");

        ApiClient.AssertError(response, error, HttpStatusCode.BadRequest, "pinned", "invalid_type");
    }

    [Fact]
    public async Task UnknownRouteGetsErrorBody()
    {
        using var unknownPath = await Client.GetAsync("/v1/chat/nothing");
        using var wrongMethod = await Client.PutAsync("/v1/completions", ApiClient.Json("{}"));

        ApiClient.AssertError(unknownPath, JsonNode.Parse(await unknownPath.Content.ReadAsStringAsync())!, HttpStatusCode.NotFound, null, null);
        ApiClient.AssertError(wrongMethod, JsonNode.Parse(await wrongMethod.Content.ReadAsStringAsync())!, HttpStatusCode.MethodNotAllowed, null, null);
    }

    [Fact]
    public async Task UnknownModelGets404()
    {
        var (response, error) = await ApiClient.PostAsync(Client, "/v1/completions", new { model = "gpt-4", prompt = "x" });

        ApiClient.AssertError(response, error, HttpStatusCode.NotFound, "model", "model_not_found");
    }

    [Fact]
    public async Task BadRequestsLeaveServiceWorking()
    {
        var tasks = Enumerable.Range(0, 20)
            .Select(i => ApiClient.PostAsync(Client, "/v1/completions", i % 2 == 0 ? "{\"prompt\":" : """{"prompt":[99999]}"""))
            .ToList();
        var good = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 3, temperature = 0 });

        foreach (var (response, _) in await Task.WhenAll(tasks))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(3, ApiClient.TokenIds(good).Length);
    }
}
