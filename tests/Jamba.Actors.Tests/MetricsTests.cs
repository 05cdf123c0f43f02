using System.Collections.Concurrent;
using Jamba.Actors.Hosting;

namespace Jamba.Actors.Tests;

/// <summary>What the actors report through <see cref="IClusterMetrics"/> while they generate.</summary>
public sealed class MetricsTests
{
    private static readonly int[] Prompt = [1, 17, 42, 99, 3, 250, 7, 64, 128, 5, 11, 200];

    [Fact]
    public async Task Generation_reports_expert_and_group_work()
    {
        var metrics = new RecordingMetrics();
        await using var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, [["layers", "experts", "sessions"]],
            configure: o => o with { Metrics = metrics, PrefillChunkTokens = 8 });
        var session = await cluster.Inference.CreateSessionAsync(pinned: true, CancellationToken.None);

        await EngineReference.GenerateAsync(cluster.Inference, session.Id, Prompt, 4);

        // 12 prompt tokens and the first 3 sampled ones ran through the model, each routed to top-2 experts.
        foreach (var layer in new[] { 1, 3, 5, 7 })
        {
            Assert.Equal(15 * 2, metrics.ExpertTokensOf(layer));
        }

        // The prompt takes two chunks of at most 8 tokens, then three decode steps.
        Assert.Equal(5, metrics.GroupSteps("0-7"));
        Assert.Equal((0, 0), metrics.LastSequences);

        // The session tracker is an actor of its own, so its report may trail the last token.
        for (var wait = 0; wait < 50 && metrics.LastSessions.StateBytes == 0; wait++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, metrics.LastSessions.Active);
        Assert.Equal(1, metrics.LastSessions.Pinned);
        Assert.True(metrics.LastSessions.StateBytes > 0);
    }

    private sealed class RecordingMetrics : IClusterMetrics
    {
        private readonly ConcurrentDictionary<(int Layer, int Expert), int> _expertTokens = new();
        private readonly ConcurrentDictionary<string, int> _groupSteps = new();

        public (int Running, int Queued) LastSequences { get; private set; }

        public (int Active, int Pinned, long StateBytes) LastSessions { get; private set; }

        public int ExpertTokensOf(int layer) => _expertTokens.Where(p => p.Key.Layer == layer).Sum(p => p.Value);

        public int GroupSteps(string group) => _groupSteps.GetValueOrDefault(group);

        public void ExpertTokens(int layer, int expert, int tokens) =>
            _expertTokens.AddOrUpdate((layer, expert), tokens, (_, total) => total + tokens);

        public void LayerGroupTime(string group, TimeSpan elapsed) => _groupSteps.AddOrUpdate(group, 1, (_, steps) => steps + 1);

        public void Sequences(int running, int queued) => LastSequences = (running, queued);

        public void Sessions(int active, int pinned, long stateBytes) => LastSessions = (active, pinned, stateBytes);
    }
}
