using System.Net;
using System.Text.Json.Nodes;

namespace Jamba.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class CompletionTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task GreedyCompletionIsRepeatable()
    {
        var body = new { prompt = "In the beginning God created", max_tokens = 12, temperature = 0 };

        var first = await ApiClient.CompleteAsync(Client, body);
        var second = await ApiClient.CompleteAsync(Client, body);

        Assert.Equal("text_completion", first["object"]!.GetValue<string>());
        Assert.Equal("jamba-tiny-kjv", first["model"]!.GetValue<string>());
        Assert.StartsWith("cmpl-", first["id"]!.GetValue<string>());
        Assert.Equal(ApiClient.TokenIds(first), ApiClient.TokenIds(second));
        Assert.Equal(ApiClient.Text(first), ApiClient.Text(second));
        Assert.NotEmpty(ApiClient.Text(first));

        var usage = first["usage"]!;
        var completionTokens = ApiClient.TokenIds(first).Length;
        Assert.Equal(completionTokens, usage["completion_tokens"]!.GetValue<int>());
        Assert.Equal(usage["prompt_tokens"]!.GetValue<int>() + completionTokens, usage["total_tokens"]!.GetValue<int>());
        Assert.Equal(usage["prompt_tokens"]!.GetValue<int>(), usage["prompt_tokens_computed"]!.GetValue<int>());
        Assert.True(completionTokens == 12 || ApiClient.FinishReason(first) == "stop");
    }

    [Fact]
    public async Task TokenIdPromptMatchesTextPrompt()
    {
        var tokenizer = Engine.Tokenization.JambaTokenizer.Load(ServerProcess.KjvModel);
        var ids = tokenizer.Encode("And God said, Let there be light");

        var fromText = await ApiClient.CompleteAsync(Client, new { prompt = "And God said, Let there be light", max_tokens = 8, temperature = 0 });
        var fromIds = await ApiClient.CompleteAsync(Client, new { prompt = ids, max_tokens = 8, temperature = 0 });

        Assert.Equal(ApiClient.TokenIds(fromText), ApiClient.TokenIds(fromIds));
        Assert.Equal(ids.Length, fromIds["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(tokenizer.Decode(ApiClient.TokenIds(fromIds)).TrimStart(), ApiClient.Text(fromIds).TrimStart());
    }

    [Theory]
    [InlineData(1e-6)]
    [InlineData(1e-40)]
    public async Task NearZeroTemperatureMatchesGreedy(double temperature)
    {
        var greedy = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 12, temperature = 0 });

        // Logits over such a temperature leave float range, which must not turn the distribution into NaN.
        var cold = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 12, temperature, seed = 3 });

        Assert.Equal(ApiClient.TokenIds(greedy), ApiClient.TokenIds(cold));
    }

    [Fact]
    public async Task SeededSamplingIsRepeatable()
    {
        var body = new { prompt = "The LORD is my shepherd", max_tokens = 10, temperature = 1.0, top_p = 0.9, top_k = 50, seed = 1234 };

        var first = await ApiClient.CompleteAsync(Client, body);
        var second = await ApiClient.CompleteAsync(Client, body);

        Assert.Equal(ApiClient.TokenIds(first), ApiClient.TokenIds(second));
    }

    [Fact]
    public async Task LogprobsListTopAlternatives()
    {
        var completion = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 6, temperature = 0, logprobs = 3 });
        var logprobs = completion["choices"]![0]!["logprobs"]!;
        var ids = ApiClient.TokenIds(completion);

        var tokens = logprobs["tokens"]!.AsArray();
        var tokenLogprobs = logprobs["token_logprobs"]!.AsArray().Select(value => value!.GetValue<float>()).ToArray();
        var top = logprobs["top_logprobs"]!.AsArray();
        var offsets = logprobs["text_offset"]!.AsArray().Select(value => value!.GetValue<int>()).ToArray();

        Assert.Equal(ids.Length, tokens.Count);
        Assert.Equal(ids.Length, tokenLogprobs.Length);
        Assert.Equal(ids.Length, top.Count);
        Assert.Equal(string.Concat(tokens.Select(token => token!.GetValue<string>())), ApiClient.Text(completion));
        Assert.Equal(0, offsets[0]);
        Assert.True(offsets.Zip(offsets.Skip(1)).All(pair => pair.First <= pair.Second));

        for (var i = 0; i < ids.Length; i++)
        {
            var alternatives = top[i]!.AsObject().Select(pair => pair.Value!.GetValue<float>()).ToArray();
            Assert.InRange(alternatives.Length, 1, 3);
            Assert.All(alternatives, value => Assert.True(value <= 0));

            // Greedy decoding picks the most likely token, so its log-probability is the best alternative's.
            Assert.Equal(alternatives.Max(), tokenLogprobs[i], 4);
        }
    }

    [Fact]
    public async Task StopStringEndsCompletion()
    {
        var full = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 24, temperature = 0 });
        var text = ApiClient.Text(full);
        var stop = text.Substring(text.Length / 2, 3);
        var expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var stopped = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 24, temperature = 0, stop = new[] { "@@never@@", stop } });

        Assert.Equal(expected, ApiClient.Text(stopped));
        Assert.Equal("stop", ApiClient.FinishReason(stopped));
        Assert.True(ApiClient.TokenIds(stopped).Length < ApiClient.TokenIds(full).Length);
        Assert.Equal(ApiClient.TokenIds(full)[..ApiClient.TokenIds(stopped).Length], ApiClient.TokenIds(stopped));
    }

    [Fact]
    public async Task EchoPrependsPrompt()
    {
        var completion = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 4, temperature = 0, echo = true });
        var plain = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 4, temperature = 0 });

        Assert.Equal("In the beginning" + ApiClient.Text(plain), ApiClient.Text(completion));
    }

    [Fact]
    public async Task ModelsListsServedModel()
    {
        var models = JsonNode.Parse(await Client.GetStringAsync("/v1/models"))!;

        Assert.Equal("list", models["object"]!.GetValue<string>());
        var model = models["data"]![0]!;
        Assert.Equal("jamba-tiny-kjv", model["id"]!.GetValue<string>());
        Assert.Equal(4096, model["max_model_len"]!.GetValue<int>());
    }

    [Fact]
    public async Task HealthAndReadyReturnOk()
    {
        using var health = await Client.GetAsync("/health");
        using var ready = await Client.GetAsync("/ready");
        var status = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(status["ready"]!.GetValue<bool>());
        Assert.Empty(status["unplaced"]!.AsArray());
        Assert.NotEmpty(status["members"]!.AsArray());
    }
}
