using System.Net;
using System.Text.Json.Nodes;
using Jamba.Engine.Tokenization;

namespace Jamba.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class SessionTests(ServerFixture fixture)
{
    private static readonly JambaTokenizer Tokenizer = JambaTokenizer.Load(ServerProcess.KjvModel);

    private HttpClient Client => fixture.Client;

    private async Task<string> CreateSessionAsync(bool pinned)
    {
        var session = await ApiClient.CompleteAsync(Client, new { pinned }, "/v1/sessions");
        Assert.Equal("session", session["object"]!.GetValue<string>());
        Assert.Equal(pinned, session["pinned"]!.GetValue<bool>());
        Assert.Equal(0, session["tokens"]!.GetValue<int>());
        return session["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task ContinuedSessionMatchesOnePrompt()
    {
        int[] first = Tokenizer.Encode("In the beginning God created the heaven");
        int[] second = Tokenizer.Encode(" And the earth was without form")[1..];
        int[] third = Tokenizer.Encode(" And God said")[1..];
        const int MaxTokens = 6;
        var id = await CreateSessionAsync(pinned: true);
        var path = $"/v1/sessions/{id}/completions";

        var r1 = await ApiClient.CompleteAsync(Client, new { prompt = first, max_tokens = MaxTokens, temperature = 0 }, path);
        var r2 = await ApiClient.CompleteAsync(Client, new { prompt = second, max_tokens = MaxTokens, temperature = 0 }, path);
        var r3 = await ApiClient.CompleteAsync(Client, new { prompt = third, max_tokens = MaxTokens, temperature = 0 }, path);

        int[] history = [.. first, .. ApiClient.TokenIds(r1), .. second, .. ApiClient.TokenIds(r2), .. third];
        var whole = await ApiClient.CompleteAsync(Client, new { prompt = history, max_tokens = MaxTokens, temperature = 0 });

        Assert.Equal(ApiClient.TokenIds(whole), ApiClient.TokenIds(r3));

        // Kept state means only the new prompt runs; the last generated token of the previous turn may run with it.
        Assert.Equal(first.Length, Computed(r1));
        Assert.InRange(Computed(r2), second.Length, second.Length + 1);
        Assert.InRange(Computed(r3), third.Length, third.Length + 1);
        Assert.Equal(history.Length, Computed(whole));
        Assert.Equal(second.Length, r2["usage"]!["prompt_tokens"]!.GetValue<int>());

        var session = JsonNode.Parse(await Client.GetStringAsync($"/v1/sessions/{id}"))!;
        Assert.Equal(history.Length + ApiClient.TokenIds(r3).Length, session["tokens"]!.GetValue<int>());
        Assert.True(session["state_bytes"]!.GetValue<long>() > 0);
        Assert.False(string.IsNullOrEmpty(session["node"]!.GetValue<string>()));
        Assert.True(session["pinned"]!.GetValue<bool>());
    }

    [Fact]
    public async Task TextPromptsContinueWithoutSecondBos()
    {
        var id = await CreateSessionAsync(pinned: false);
        var path = $"/v1/sessions/{id}/completions";

        var r1 = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 3, temperature = 0 }, path);
        var r2 = await ApiClient.CompleteAsync(Client, new { prompt = " And God said", max_tokens = 3, temperature = 0 }, path);

        Assert.Equal(Tokenizer.Encode("In the beginning").Length, r1["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(Tokenizer.Encode(" And God said").Length - 1, r2["usage"]!["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeleteFreesSession()
    {
        var id = await CreateSessionAsync(pinned: false);

        using var deleted = await Client.DeleteAsync($"/v1/sessions/{id}");
        var body = JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!;
        using var afterwards = await Client.GetAsync($"/v1/sessions/{id}");
        using var again = await Client.DeleteAsync($"/v1/sessions/{id}");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.True(body["deleted"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, afterwards.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task CreateWithoutBodyIsUnpinned()
    {
        using var response = await Client.PostAsync("/v1/sessions", null);
        var session = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(session["pinned"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopStringLeavesOnlyReportedTokens(bool stream)
    {
        int[] first = Tokenizer.Encode("In the beginning");
        int[] second = Tokenizer.Encode(" And God said")[1..];

        // The cluster may generate past the stop string before the server stops it; repeats catch that race.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var id = await CreateSessionAsync(pinned: false);
            var path = $"/v1/sessions/{id}/completions";

            var stopped = await StopAtCrownAsync(path, first, stream);
            var next = await ApiClient.CompleteAsync(Client, new { prompt = second, max_tokens = 4, temperature = 0 }, path);

            int[] history = [.. first, .. stopped, .. second];
            var whole = await ApiClient.CompleteAsync(Client, new { prompt = history, max_tokens = 4, temperature = 0 });
            var session = JsonNode.Parse(await Client.GetStringAsync($"/v1/sessions/{id}"))!;
            Assert.Equal(history.Length + 4, session["tokens"]!.GetValue<int>());
            Assert.Equal(ApiClient.TokenIds(whole), ApiClient.TokenIds(next));
        }
    }

    /// <summary>Runs a greedy turn that the stop string "crown" ends, and returns the token ids the response reported.</summary>
    private async Task<int[]> StopAtCrownAsync(string path, int[] prompt, bool stream)
    {
        var body = new { prompt, max_tokens = 200, temperature = 0, stop = new[] { "crown" }, stream };
        if (!stream)
        {
            var completion = await ApiClient.CompleteAsync(Client, body, path);
            Assert.Equal("stop", ApiClient.FinishReason(completion));
            return ApiClient.TokenIds(completion);
        }

        using var response = await ApiClient.StartStreamAsync(Client, body, path);
        var ids = new List<int>();
        string? finishReason = null;
        await foreach (var chunk in ApiClient.ReadEventsAsync(response))
        {
            ids.AddRange(ApiClient.TokenIds(chunk));
            finishReason ??= ApiClient.FinishReason(chunk);
        }

        Assert.Equal("stop", finishReason);
        return [.. ids];
    }

    private static int Computed(JsonNode completion) => completion["usage"]!["prompt_tokens_computed"]!.GetValue<int>();
}
