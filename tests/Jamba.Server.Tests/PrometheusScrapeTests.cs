using System.Diagnostics;

namespace Jamba.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class PrometheusScrapeTests(ServerFixture fixture)
{
    private static readonly TimeSpan ScrapeTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PrometheusSeesGeneratedTokensRise()
    {
        await using var prometheus = await PrometheusServer.StartAsync(fixture.Server.BaseAddress);

        var before = await WaitForValueAsync(prometheus, "jamba_generated_tokens_total", value => true);
        Assert.Equal(1, await prometheus.QueryAsync("up{job=\"jamba\"}"));

        var completion = await ApiClient.CompleteAsync(fixture.Client, new { prompt = "In the beginning", max_tokens = 7, temperature = 0 });
        var generated = ApiClient.TokenIds(completion).Length;

        var after = await WaitForValueAsync(prometheus, "jamba_generated_tokens_total", value => value >= before + generated);
        Assert.True(after >= before + generated);
        Assert.NotNull(await prometheus.QueryAsync("jamba_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"));
        Assert.NotNull(await prometheus.QueryAsync("sum(jamba_expert_tokens_total)"));
    }

    private static async Task<double> WaitForValueAsync(PrometheusServer prometheus, string query, Func<double, bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        double? last = null;
        while (deadline.Elapsed < ScrapeTimeout)
        {
            last = await prometheus.QueryAsync(query);
            if (last is { } value && condition(value))
            {
                return value;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{query} did not reach the expected value within {ScrapeTimeout.TotalSeconds} s (last {last})");
    }
}
