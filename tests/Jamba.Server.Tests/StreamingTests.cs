using System.Text;
using System.Text.Json.Nodes;

namespace Jamba.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class StreamingTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task StreamMatchesWholeCompletion()
    {
        var whole = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 10, temperature = 0 });

        using var response = await ApiClient.StartStreamAsync(Client, new
        {
            prompt = "In the beginning",
            max_tokens = 10,
            temperature = 0,
            stream = true,
            stream_options = new { include_usage = true },
        });
        var chunks = new List<JsonNode>();
        await foreach (var chunk in ApiClient.ReadEventsAsync(response))
        {
            chunks.Add(chunk);
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var text = new StringBuilder();
        var ids = new List<int>();
        string? finishReason = null;
        foreach (var chunk in chunks.Where(chunk => chunk["choices"]!.AsArray().Count > 0))
        {
            Assert.Equal("text_completion", chunk["object"]!.GetValue<string>());
            Assert.Null(finishReason);
            text.Append(ApiClient.Text(chunk));
            ids.AddRange(ApiClient.TokenIds(chunk));
            finishReason = ApiClient.FinishReason(chunk);
        }

        Assert.Equal(ApiClient.Text(whole), text.ToString());
        Assert.Equal(ApiClient.TokenIds(whole), ids);
        Assert.Equal(ApiClient.FinishReason(whole), finishReason);
        Assert.Single(chunks.Select(chunk => chunk["id"]!.GetValue<string>()).Distinct());

        var usage = chunks[^1]["usage"]!;
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(ids.Count, usage["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task StreamStopsAtStopString()
    {
        var whole = await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 20, temperature = 0 });
        var stop = ApiClient.Text(whole).Substring(ApiClient.Text(whole).Length / 2, 4);
        var expected = ApiClient.Text(whole)[..ApiClient.Text(whole).IndexOf(stop, StringComparison.Ordinal)];

        using var response = await ApiClient.StartStreamAsync(Client, new { prompt = "In the beginning", max_tokens = 20, temperature = 0, stream = true, stop = stop });
        var text = new StringBuilder();
        string? finishReason = null;
        await foreach (var chunk in ApiClient.ReadEventsAsync(response))
        {
            text.Append(ApiClient.Text(chunk));
            finishReason = ApiClient.FinishReason(chunk);
        }

        Assert.Equal(expected, text.ToString());
        Assert.Equal("stop", finishReason);
    }
}
