using Jamba.Engine.Layers;
using Jamba.Engine.Loading;
using Jamba.Kernels;

namespace Jamba.Engine.Tests;

/// <summary>Loading part of a checkpoint: layer ranges that compose into the whole model, experts alone, one shard of several.</summary>
public class PartialLoadingTests
{
    private const string FirstShard = "model-00001-of-00002.safetensors";
    private const string SecondShard = "model-00002-of-00002.safetensors";

    [Theory]
    [InlineData("tiny-moe", 3)]
    [InlineData("tiny-moe", 6)]
    [InlineData("tiny-dense-bf16", 3)]
    [InlineData("tiny-dense-bf16", 1)]
    public void Two_layer_ranges_give_golden_logits(string name, int split)
    {
        var dir = Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", name);
        using var golden = Fixtures.OpenGolden(dir);
        using var front = JambaModel.Load(dir, new ModelPart { EndLayer = split, Head = false });
        using var back = JambaModel.Load(dir, new ModelPart { FirstLayer = split, Embedding = false });
        var frontState = front.CreateState();
        var backState = back.CreateState();
        var tolerance = Fixtures.Tolerance(dir);
        var vocab = front.Config.VocabSize;

        float[] Step(int[] ids)
        {
            var x = front.Embed(ids);
            front.ForwardLayers(x, ids.Length, frontState);
            back.ForwardLayers(x, ids.Length, backState);
            return back.Logits(x, ids.Length);
        }

        var prefill = Step(Fixtures.ToInts(golden.ReadInt64s("prefill.ids")));
        GoldenLogitsTests.AssertClose(golden.ReadSingles("prefill.logits"), prefill, tolerance, $"{name} split at {split}");

        var decodeIds = Fixtures.ToInts(golden.ReadInt64s("decode.ids"));
        var expected = golden.ReadSingles("decode.logits");
        for (var step = 0; step < decodeIds.Length; step++)
        {
            var logits = Step([decodeIds[step]]);
            GoldenLogitsTests.AssertClose(expected[(step * vocab)..((step + 1) * vocab)], logits, tolerance, $"{name} decode step {step}");
        }
    }

    [Fact]
    public void Layer_range_holds_only_its_layers()
    {
        using var front = JambaModel.Load(Fixtures.TinyMoe, new ModelPart { EndLayer = 3, Head = false });
        using var back = JambaModel.Load(Fixtures.TinyMoe, new ModelPart { FirstLayer = 3, Embedding = false });

        Assert.All(front.Layers.Take(3), layer => Assert.NotNull(layer));
        Assert.All(front.Layers.Skip(3), layer => Assert.Null(layer));
        Assert.All(back.Layers.Take(3), layer => Assert.Null(layer));
        Assert.All(back.Layers.Skip(3), layer => Assert.NotNull(layer));
        Assert.All(front.CreateState().Layers.Skip(3), state => Assert.Null(state));
        Assert.Throws<InvalidOperationException>(() => front.Logits(new float[64], 1));
        Assert.Throws<InvalidOperationException>(() => back.Embed([1]));
        Assert.Throws<InvalidOperationException>(() => front.Forward(front.CreateState(), [1]));
    }

    [Fact]
    public void Experts_only_loads_chosen_experts()
    {
        static bool Chosen(int layer, int expert) => (layer, expert) is (1, 2) or (5, 0) or (5, 3);
        using var whole = JambaModel.Load(Fixtures.TinyMoe);
        using var experts = JambaModel.Load(Fixtures.TinyMoe, ModelPart.ExpertsOnly(Chosen));

        Assert.All(experts.Layers, layer => Assert.Null(layer));
        Assert.Throws<InvalidOperationException>(() => experts.Embed([1]));
        for (var layer = 0; layer < experts.Config.NumHiddenLayers; layer++)
        {
            var block = experts.ExpertBlocks[layer];
            if (layer is not (1 or 5))
            {
                Assert.Null(block);
                continue;
            }

            Assert.NotNull(block);
            for (var expert = 0; expert < experts.Config.NumExperts; expert++)
            {
                Assert.Equal(Chosen(layer, expert), block.Experts[expert] is not null);
            }
        }

        // The loaded expert computes what the same expert of the whole model computes, bit for bit.
        var hidden = experts.Config.HiddenSize;
        var x = Enumerable.Range(0, 3 * hidden).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        int[] rows = [0, 2];
        var expected = MoeBlock.ApplyExpert(whole.ExpertBlocks[5]!.Experts[3]!, x, hidden, rows);
        Assert.Equal(expected, MoeBlock.ApplyExpert(experts.ExpertBlocks[5]!.Experts[3]!, x, hidden, rows));
    }

    /// <summary>An unselected expert with a broken weight is never read, so loading the chosen ones succeeds.</summary>
    [Fact]
    public void Experts_only_never_reads_other_experts()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.ReplaceTensor("model.safetensors",
            new TensorEntry("model.layers.1.feed_forward.experts.0.up_proj.weight", "F32", [95, 64], new byte[95 * 64 * 4]));

        using var experts = JambaModel.Load(copy.Directory, ModelPart.ExpertsOnly((layer, expert) => layer == 1 && expert == 2));
        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.NotNull(experts.ExpertBlocks[1]!.Experts[2]);
        Assert.Contains("model.layers.1.feed_forward.experts.0.up_proj.weight", error.Message);
    }

    [Fact]
    public void Layer_range_maps_only_its_shard()
    {
        using var checkpoint = Checkpoint.Open(Fixtures.TinyDenseBf16);
        Assert.Empty(checkpoint.MappedFiles);

        for (var layer = 0; layer < 3; layer++)
        {
            DecoderLayer.Load(checkpoint, CpuBackend.Instance, layer, _ => true);
        }

        Assert.Equal([FirstShard], checkpoint.MappedFiles);

        DecoderLayer.Load(checkpoint, CpuBackend.Instance, 3, _ => true);

        Assert.Equal([FirstShard, SecondShard], checkpoint.MappedFiles);
    }

    /// <summary>
    /// The second shard is present, as the index requires, but not a safetensors file: a node serving
    /// the first three layers loads and runs, and only a load that needs the second shard fails.
    /// </summary>
    [Fact]
    public void Layer_range_never_opens_other_shard()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        File.WriteAllText(copy.PathOf(SecondShard), "not a safetensors file");
        using var golden = Fixtures.OpenGolden(Fixtures.TinyDenseBf16);
        using var reference = JambaModel.Load(Fixtures.TinyDenseBf16, new ModelPart { EndLayer = 3, Head = false });
        var ids = Fixtures.ToInts(golden.ReadInt64s("prefill.ids"));

        using var front = JambaModel.Load(copy.Directory, new ModelPart { EndLayer = 3, Head = false });
        var x = front.Embed(ids);
        front.ForwardLayers(x, ids.Length, front.CreateState());
        var expected = reference.Embed(ids);
        reference.ForwardLayers(expected, ids.Length, reference.CreateState());

        Assert.Equal(expected, x);
        var error = Assert.Throws<CheckpointException>(() =>
            JambaModel.Load(copy.Directory, new ModelPart { FirstLayer = 3, Embedding = false }));
        Assert.Contains(copy.PathOf(SecondShard), error.Message);
    }
}
