using System.Diagnostics;
using Jamba.Engine.Sampling;
using Xunit.Abstractions;

namespace Jamba.Actors.Tests;

/// <summary>A node holding experts leaves while a sequence is generating; its experts load elsewhere.</summary>
public sealed class ExpertRehomingTests(ITestOutputHelper output)
{
    private static readonly int[] Prompt = [1, 17, 42, 99, 3, 250, 7, 64];

    [Fact]
    public async Task Leaving_expert_node_keeps_tokens()
    {
        const int maxNewTokens = 400;
        await using var cluster = await ThreeNodeCluster.StartAsync(o => o with { ExpertReplyTimeout = TimeSpan.FromMilliseconds(500) });
        var leaving = cluster.Nodes[2];
        Assert.True(await ThreeNodeCluster.ExpertShardsAsync(leaving) > 0, "the leaving node holds no experts");
        var expected = EngineReference.Greedy(TestPaths.TinyMoe, Prompt, maxNewTokens);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var clock = Stopwatch.StartNew();
        var tokens = new List<int>();
        Task? leave = null;
        var tokensWhenLeft = -1;
        var request = new GenerateRequest(null, Prompt, SamplingOptions.Greedy, maxNewTokens, StopAtEos: false);
        await foreach (var tokenEvent in cluster.Inference.GenerateAsync(request, timeout.Token))
        {
            tokens.Add(tokenEvent.TokenId);
            if (tokens.Count == 5)
            {
                leave = leaving.DisposeAsync().AsTask();
            }

            if (leave is { IsCompleted: true } && tokensWhenLeft < 0)
            {
                tokensWhenLeft = tokens.Count;
            }
        }

        output.WriteLine($"{tokens.Count} tokens in {clock.Elapsed.TotalSeconds:0.0} s; the node had left after token {tokensWhenLeft}");
        Assert.Equal(expected, tokens);
        Assert.NotNull(leave);
        await leave.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(tokensWhenLeft is > 0 and < maxNewTokens,
            $"the node finished leaving after token {tokensWhenLeft}, not during generation");

        // The two remaining nodes now hold all 16 experts and generate the same tokens again.
        cluster.Nodes.Remove(leaving);
        await cluster.Nodes[0].WhenReadyAsync(timeout.Token);
        var shards = await Task.WhenAll(cluster.Nodes.Select(ThreeNodeCluster.ExpertShardIdsAsync));
        Assert.Equal(16, shards.SelectMany(s => s).Distinct().Count());
        var (again, _) = await EngineReference.GenerateAsync(cluster.Inference, null, Prompt, 20, timeout.Token);
        Assert.Equal(expected[..20], again);
    }

    [Fact]
    public async Task Crashed_expert_node_keeps_tokens()
    {
        const int maxNewTokens = 60;
        await using var cluster = await ThreeNodeCluster.StartAsync(o => o with { ExpertReplyTimeout = TimeSpan.FromMilliseconds(500) });
        var crashing = cluster.Nodes[2];
        Assert.True(await ThreeNodeCluster.ExpertShardsAsync(crashing) > 0, "the crashing node holds no experts");
        var expected = EngineReference.Greedy(TestPaths.TinyMoe, Prompt, maxNewTokens);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        // The node stops without leaving, so the others see it unreachable until the split-brain
        // resolver downs it. Meanwhile routers resend to its experts, which restart elsewhere.
        var clock = Stopwatch.StartNew();
        var tokens = new List<int>();
        var crashedAt = -1;
        var request = new GenerateRequest(null, Prompt, SamplingOptions.Greedy, maxNewTokens, StopAtEos: false);
        await foreach (var tokenEvent in cluster.Inference.GenerateAsync(request, timeout.Token))
        {
            tokens.Add(tokenEvent.TokenId);
            if (tokens.Count == 3)
            {
                cluster.Nodes.Remove(crashing);
                await crashing.System.Terminate();
                crashedAt = tokens.Count;
            }
        }

        output.WriteLine($"{tokens.Count} tokens in {clock.Elapsed.TotalSeconds:0.0} s; the node crashed after token {crashedAt}");
        Assert.Equal(expected, tokens);
        Assert.Equal(3, crashedAt);
    }
}
