using Akka.Actor;
using Akka.Cluster.Sharding;
using Jamba.Actors.Hosting;
using Jamba.Actors.LayerGroups;
using Jamba.Actors.Sequences;
using Jamba.Actors.Wire;
using Jamba.Engine;

namespace Jamba.Actors.Tests;

/// <summary>Model parallelism over three ActorSystems joined on 127.0.0.1: split layers, spread experts.</summary>
public sealed class ThreeNodeTests(ThreeNodeClusterFixture fixture) : IClassFixture<ThreeNodeClusterFixture>
{
    private static readonly int[] Prompt = [1, 17, 42, 99, 3, 250, 7, 64, 128, 5, 11, 200];

    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Golden_logits_match_through_cluster()
    {
        using var golden = TestPaths.OpenGolden(TestPaths.TinyMoe);
        var tolerance = TestPaths.Tolerance(TestPaths.TinyMoe);
        var prefillIds = TestPaths.ToInts(golden.ReadInt64s("prefill.ids"));
        var decodeIds = TestPaths.ToInts(golden.ReadInt64s("decode.ids"));
        var prefillGolden = golden.ReadSingles("prefill.logits");
        var decodeGolden = golden.ReadSingles("decode.logits");
        using var model = JambaModel.Load(TestPaths.TinyMoe);
        var vocab = model.Config.VocabSize;
        var engineLogits = model.Forward(model.CreateState(), prefillIds, allLogits: true);
        var pipeline = new ClusterPipeline(Cluster.Nodes[2], "golden-" + Guid.NewGuid().ToString("N"));
        await pipeline.ReserveAsync();

        // One token per step, so every prompt position comes back as the last row of its step.
        for (var t = 0; t < prefillIds.Length; t++)
        {
            var logits = await pipeline.ForwardAsync([prefillIds[t]]);
            AssertClose(prefillGolden.AsSpan(t * vocab, vocab), logits, tolerance, $"prefill position {t} vs golden");
            AssertClose(engineLogits.AsSpan(t * vocab, vocab), logits, tolerance, $"prefill position {t} vs engine");
        }

        for (var step = 0; step < decodeIds.Length; step++)
        {
            var logits = await pipeline.ForwardAsync([decodeIds[step]]);
            AssertClose(decodeGolden.AsSpan(step * vocab, vocab), logits, tolerance, $"decode step {step}");
        }

        await pipeline.FreeAsync();
    }

    [Fact]
    public async Task Chunked_prefill_matches_golden_last_row()
    {
        using var golden = TestPaths.OpenGolden(TestPaths.TinyMoe);
        var prefillIds = TestPaths.ToInts(golden.ReadInt64s("prefill.ids"));
        var prefillGolden = golden.ReadSingles("prefill.logits");
        var vocab = prefillGolden.Length / prefillIds.Length;
        var pipeline = new ClusterPipeline(Cluster.Nodes[1], "chunked-" + Guid.NewGuid().ToString("N"));
        await pipeline.ReserveAsync();

        var logits = await pipeline.ForwardAsync(prefillIds);

        AssertClose(prefillGolden.AsSpan((prefillIds.Length - 1) * vocab, vocab), logits, TestPaths.Tolerance(TestPaths.TinyMoe),
            "last prefill row");
        await pipeline.FreeAsync();
    }

    [Fact]
    public async Task Greedy_generation_matches_engine()
    {
        var expected = EngineReference.Greedy(TestPaths.TinyMoe, Prompt, 16);

        foreach (var node in Cluster.Nodes)
        {
            var (tokens, _) = await EngineReference.GenerateAsync(node.Inference, null, Prompt, 16);
            Assert.Equal(expected, tokens);
        }
    }

    [Fact]
    public async Task Concurrent_sequences_match_alone()
    {
        var prompts = Enumerable.Range(0, 6).Select(i => Prompt.Skip(i % 4).Take(4 + i).ToArray()).ToArray();

        var results = await Task.WhenAll(prompts.Select((p, i) =>
            EngineReference.GenerateAsync(Cluster.Nodes[i % 3].Inference, null, p, 8)));

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, prompts[i], 8), results[i].Tokens);
        }
    }

    [Fact]
    public async Task Experts_spread_over_three_nodes()
    {
        var counts = await Task.WhenAll(Cluster.Nodes.Select(ThreeNodeCluster.ExpertShardsAsync));

        Assert.All(counts, count => Assert.True(count > 0, $"expert shards per node: {string.Join(", ", counts)}"));
        Assert.Equal(16, counts.Sum());
    }

    [Fact]
    public async Task Snapshot_restores_on_other_node()
    {
        var session = await Cluster.Nodes[0].Inference.CreateSessionAsync(pinned: true, CancellationToken.None);
        var (first, _) = await EngineReference.GenerateAsync(Cluster.Nodes[0].Inference, session.Id, Prompt[..8], 5);
        var snapshot = await Cluster.Nodes[0].Inference.ExportSessionAsync(session.Id, CancellationToken.None);

        var restored = await Cluster.Nodes[2].Inference.ImportSessionAsync(snapshot, pinned: false, CancellationToken.None);
        var (continued, events) = await EngineReference.GenerateAsync(Cluster.Nodes[2].Inference, restored.Id, Prompt[8..], 6);

        var whole = Prompt[..8].Concat(first).Concat(Prompt[8..]).ToArray();
        Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, whole, 6), continued);
        Assert.Equal(Prompt.Length - 8 + 1, events[0].PromptTokensComputed);
        Assert.Equal(8 + 5, restored.Tokens);
        Assert.True(restored.StateBytes > 0);
    }

    [Fact]
    public async Task Snapshot_restores_under_other_layer_split()
    {
        var session = await Cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);
        var (first, _) = await EngineReference.GenerateAsync(Cluster.Inference, session.Id, Prompt[..6], 4);
        var snapshot = await Cluster.Inference.ExportSessionAsync(session.Id, CancellationToken.None);

        // A separate single-node cluster serves all eight layers in one group.
        await using var single = await TestCluster.StartAsync(TestPaths.TinyMoe, [["layers", "experts", "sessions"]]);
        var restored = await single.Inference.ImportSessionAsync(snapshot, pinned: false, CancellationToken.None);
        var (continued, _) = await EngineReference.GenerateAsync(single.Inference, restored.Id, Prompt[6..], 6);

        var whole = Prompt[..6].Concat(first).Concat(Prompt[6..]).ToArray();
        Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, whole, 6), continued);
    }

    [Fact]
    public async Task Lost_slot_is_recomputed_from_history()
    {
        var session = await Cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);
        var (first, _) = await EngineReference.GenerateAsync(Cluster.Inference, session.Id, Prompt[..5], 3);

        // Dropping the slot in layers 4-7 is what a restart of that group's node does to the session.
        var group = Cluster.Nodes[0].Plan.LayerGroups[1];
        ClusterSharding.Get(Cluster.Nodes[0].System).ShardRegion(group.RegionName).Tell(new FreeSlot(group.Name, session.Id));
        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() =>
            EngineReference.GenerateAsync(Cluster.Inference, session.Id, Prompt[5..8], 3));
        var (recovered, events) = await EngineReference.GenerateAsync(Cluster.Inference, session.Id, Prompt[8..], 4);

        Assert.Contains("no state slot", failure.Message);
        // The failed request generated nothing, so its prompt left the history again.
        var history = Prompt[..5].Concat(first).Concat(Prompt[8..]).ToArray();
        Assert.Equal(EngineReference.Greedy(TestPaths.TinyMoe, history, 4), recovered);
        Assert.Equal(history.Length, events[0].PromptTokensComputed);
    }

    [Fact]
    public async Task Snapshot_with_wrong_position_is_rejected()
    {
        var session = await Cluster.Inference.CreateSessionAsync(pinned: false, CancellationToken.None);
        await EngineReference.GenerateAsync(Cluster.Inference, session.Id, Prompt[..6], 2);
        var snapshot = SessionSnapshot.FromBytes(await Cluster.Inference.ExportSessionAsync(session.Id, CancellationToken.None));
        var tampered = snapshot with { Computed = snapshot.Computed - 1 };

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            Cluster.Inference.ImportSessionAsync(tampered.ToBytes(), pinned: false, CancellationToken.None));

        Assert.Contains($"at position {snapshot.Computed}", error.Message);
    }

    [Fact]
    public async Task Corrupt_snapshot_is_rejected()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            Cluster.Inference.ImportSessionAsync([1, 2, 3], pinned: false, CancellationToken.None));

        Assert.Contains("snapshot", error.Message);
    }

    [Fact]
    public void Status_lists_three_members()
    {
        var status = Cluster.Nodes[1].Inference.GetStatus();

        Assert.True(status.Ready, $"unplaced: {string.Join(", ", status.Unplaced)}");
        Assert.Equal(3, status.Members.Count);
        Assert.All(status.Members, m => Assert.Equal("Up", m.Status));
    }

    private static void AssertClose(ReadOnlySpan<float> expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        var worstIndex = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = MathF.Abs(expected[i] - actual[i]);
            if (!(difference <= worst))
            {
                worst = difference;
                worstIndex = i;
            }
        }

        Assert.True(worst <= tolerance,
            $"{what}: largest difference {worst} at index {worstIndex} (expected {expected[worstIndex]}, got {actual[worstIndex]}) exceeds {tolerance}");
    }

    /// <summary>Drives one sequence through the layer-group regions directly, to read its logits.</summary>
    private sealed class ClusterPipeline(JambaClusterNode node, string sequenceId)
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
        private long _step;

        private IEnumerable<(string Group, IActorRef Region)> Groups =>
            node.Plan.LayerGroups.Select(g => (g.Name, ClusterSharding.Get(node.System).ShardRegion(g.RegionName)));

        public async Task ReserveAsync()
        {
            foreach (var (group, region) in Groups)
            {
                Assert.IsType<SlotReserved>(await region.Ask<object>(new ReserveSlot(group, sequenceId), Timeout));
            }
        }

        public async Task<float[]> ForwardAsync(int[] ids)
        {
            var step = Interlocked.Increment(ref _step);
            var entries = new[] { new BatchEntry(sequenceId, ids.Length, NeedsLogits: true) };
            Tensor? hidden = null;
            foreach (var (group, region) in Groups)
            {
                var reply = await region.Ask<object>(new ForwardBatch(group, step, entries, hidden is null ? ids : null, hidden), Timeout);
                var forwarded = Assert.IsType<BatchForwarded>(reply);
                if (forwarded.IsLogits)
                {
                    return forwarded.Output.ToSingles();
                }

                hidden = forwarded.Output;
            }

            throw new InvalidOperationException("no layer group returned logits");
        }

        public Task FreeAsync()
        {
            foreach (var (group, region) in Groups)
            {
                region.Tell(new FreeSlot(group, sequenceId));
            }

            return Task.CompletedTask;
        }
    }
}
