using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Jamba.Server.Tests;

/// <summary>
/// A server with one batch slot and no queue, where one long generation takes the whole capacity, and
/// a short session idle timeout. Its context limit comes from the environment, to check the order of
/// configuration sources.
/// </summary>
public sealed class SingleSlotFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    public HttpClient Client => (_server ?? throw new InvalidOperationException("the server has not started")).Client;

    public async Task InitializeAsync() =>
        _server = await ServerProcess.StartAsync(
            new Dictionary<string, string> { ["MaxContextTokens"] = "1024", ["JAMBA_MAXCONTEXTTOKENS"] = "4000" },
            "--MaxBatchSequences", "1", "--MaxQueuedSequences", "0", "--SessionIdleTimeout", SingleSlotServerTests.SessionIdleTimeout.ToString());

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class SingleSlotServerTests(SingleSlotFixture fixture) : IClassFixture<SingleSlotFixture>
{
    public static readonly TimeSpan SessionIdleTimeout = TimeSpan.FromSeconds(2);

    private const int LongGeneration = 3000;

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task JambaEnvironmentOverridesPlainEnvironment()
    {
        var models = JsonNode.Parse(await Client.GetStringAsync("/v1/models"))!;

        Assert.Equal(4000, models["data"]![0]!["max_model_len"]!.GetValue<int>());
    }

    [Fact]
    public async Task IdleUnpinnedSessionIsPassivated()
    {
        var pinned = await CreateSessionWithTokensAsync(pinned: true);
        var unpinned = await CreateSessionWithTokensAsync(pinned: false);

        // Any request to a session restarts its idle timer, so nothing touches them while they idle.
        await Task.Delay(SessionIdleTimeout * 3);
        using var passivated = await Client.GetAsync($"/v1/sessions/{unpinned}");
        using var kept = await Client.GetAsync($"/v1/sessions/{pinned}");
        var keptSession = JsonNode.Parse(await kept.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.NotFound, passivated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.True(keptSession["tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task FullQueueGets429WithRetryAfter()
    {
        using var running = await StartStreamWithRetryAsync(Client, new { prompt = "In the beginning", max_tokens = LongGeneration, temperature = 0, stream = true });
        await using var events = ApiClient.ReadEventsAsync(running).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync(), "the long generation sent no chunk");

        using var rejectedOrWaiting = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var extra = Enumerable.Range(0, 3)
            .Select(_ => ApiClient.StartStreamAsync(Client, new { prompt = "And God said", max_tokens = 2, temperature = 0, stream = true }, cancellationToken: rejectedOrWaiting.Token))
            .ToList();

        // A rejection returns at once, but an admitted request waits for the slot that the long generation occupies.
        await Task.WhenAny(extra);
        await Task.Delay(500);
        var rejected = new List<HttpResponseMessage>();
        foreach (var task in extra.Where(task => task.IsCompletedSuccessfully))
        {
            var response = await task;
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                rejected.Add(response);
            }
        }

        Assert.NotEmpty(rejected);
        var body = JsonNode.Parse(await rejected[0].Content.ReadAsStringAsync())!;
        ApiClient.AssertError(rejected[0], body, HttpStatusCode.TooManyRequests, null, "queue_full");
        Assert.NotNull(rejected[0].Headers.RetryAfter?.Delta);

        running.Dispose();
        await Task.WhenAll(extra.Select(task => task.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (var task in extra.Where(task => task.IsCompletedSuccessfully))
        {
            (await task).Dispose();
        }
    }

    [Fact]
    public async Task DisconnectCancelsGenerationAndFreesSlot()
    {
        // Waits out a generation another test cancelled a moment ago, so the session's request is admitted at once:
        // retrying a session request would append each rejected prompt to the session.
        await CompleteWithRetryAsync(new { prompt = "And", max_tokens = 1, temperature = 0 });
        var session = await ApiClient.CompleteAsync(Client, new { pinned = false }, "/v1/sessions");
        var id = session["id"]!.GetValue<string>();

        // A client of its own that closes the connection on dispose; HttpClient's default would first drain the
        // rest of the response, which a fast server finishes before the connection closes.
        using (var disconnecting = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = Client.BaseAddress })
        using (var stream = await ApiClient.StartStreamAsync(disconnecting, new { prompt = "In the beginning", max_tokens = LongGeneration, temperature = 0, stream = true }, $"/v1/sessions/{id}/completions"))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            var chunks = 0;
            var received = new List<string>();
            await foreach (var chunk in ApiClient.ReadEventsAsync(stream))
            {
                received.Add(chunk.ToJsonString());
                if (++chunks == 3)
                {
                    break;
                }
            }

            Assert.True(chunks == 3, $"the stream ended after {chunks} chunks:\n{string.Join('\n', received)}");
        }

        // The session stops growing well short of the requested length once the server detects the disconnect.
        var tokens = await StableTokenCountAsync(id);
        Assert.InRange(tokens, 4, LongGeneration / 2);

        // The only batch slot is free again: a new request is admitted, not queued behind the abandoned one or rejected.
        var completion = await CompleteWithRetryAsync(new { prompt = "And God said", max_tokens = 3, temperature = 0 });
        Assert.Equal(3, ApiClient.TokenIds(completion).Length);

        var metrics = await ApiClient.MetricsAsync(Client);
        Assert.True(ApiClient.Sample(metrics, "jamba_http_requests_total{endpoint=\"/v1/sessions/{id}/completions\",status=\"499\"}") >= 1, metrics);
    }

    private async Task<string> CreateSessionWithTokensAsync(bool pinned)
    {
        await CompleteWithRetryAsync(new { prompt = "And", max_tokens = 1, temperature = 0 });
        var session = await ApiClient.CompleteAsync(Client, new { pinned }, "/v1/sessions");
        var id = session["id"]!.GetValue<string>();
        await ApiClient.CompleteAsync(Client, new { prompt = "In the beginning", max_tokens = 2, temperature = 0 }, $"/v1/sessions/{id}/completions");
        return id;
    }

    private async Task<int> StableTokenCountAsync(string id)
    {
        var deadline = Stopwatch.StartNew();
        var previous = -1;
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            var session = JsonNode.Parse(await Client.GetStringAsync($"/v1/sessions/{id}"))!;
            var tokens = session["tokens"]!.GetValue<int>();
            if (tokens == previous)
            {
                return tokens;
            }

            previous = tokens;
            await Task.Delay(500);
        }

        throw new TimeoutException($"session {id} kept growing after the client disconnected (last {previous} tokens)");
    }

    /// <summary>Starts a stream, retrying while the slot is still held by a generation another test cancelled a moment ago.</summary>
    private static async Task<HttpResponseMessage> StartStreamWithRetryAsync(HttpClient client, object body, string path = "/v1/completions")
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var response = await ApiClient.StartStreamAsync(client, body, path);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return response;
            }

            response.Dispose();
            await Task.Delay(200);
        }
    }

    private async Task<JsonNode> CompleteWithRetryAsync(object body)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var (response, json) = await ApiClient.PostAsync(Client, "/v1/completions", body);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.True(response.IsSuccessStatusCode, $"returned {(int)response.StatusCode}: {json.ToJsonString()}");
                return json;
            }

            await Task.Delay(200);
        }
    }
}
