using Jamba.Engine.Loading;
using Jamba.Kernels;

namespace Jamba.Engine.Tests;

public sealed class CheckpointGeneratorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"jamba-init-{Guid.NewGuid():N}");

    private static ModelShape Small => ModelShape.Mid with
    {
        Name = "small",
        VocabSize = 300,
        HiddenSize = 64,
        IntermediateSize = 96,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        NumExperts = 4,
        MambaDtRank = 4,
    };

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    public void Written_checkpoint_loads_and_runs(DType dtype)
    {
        var parameters = CheckpointGenerator.Write(Small, _directory, dtype, seed: 1);

        using var model = JambaModel.Load(_directory);
        var logits = model.Forward(model.CreateState(), [1, 5, 7, 9], allLogits: true);

        Assert.Equal(Small.NumHiddenLayers, model.Config.NumHiddenLayers);
        Assert.True(model.Config.IsAttentionLayer(4));
        Assert.True(model.Config.IsExpertLayer(1));
        Assert.All(logits, value => Assert.True(float.IsFinite(value)));
        Assert.Equal(4 * 300, logits.Length);
        var expectedBytes = parameters * dtype.ByteSize();
        Assert.True(new FileInfo(Path.Combine(_directory, "model.safetensors")).Length > expectedBytes);
    }

    [Fact]
    public void Same_seed_writes_same_bytes()
    {
        var other = _directory + "-again";
        try
        {
            CheckpointGenerator.Write(Small with { NumHiddenLayers = 2 }, _directory, DType.BF16, seed: 3);
            CheckpointGenerator.Write(Small with { NumHiddenLayers = 2 }, other, DType.BF16, seed: 3);

            Assert.Equal(File.ReadAllBytes(Path.Combine(_directory, "model.safetensors")), File.ReadAllBytes(Path.Combine(other, "model.safetensors")));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public void All_attention_variant_has_no_mamba_layers()
    {
        CheckpointGenerator.Write(Small with { NumHiddenLayers = 3, AttnLayerPeriod = 1, AttnLayerOffset = 0 }, _directory, DType.F32);

        using var model = JambaModel.Load(_directory);

        Assert.All(model.Layers, layer => Assert.NotNull(layer!.Attention));
    }

    [Fact]
    public void Mid_shape_has_half_a_billion_parameters()
    {
        // Embedding and head 2 x 32768 x 1024, four MoE layers of 8 experts, four dense layers.
        var shape = ModelShape.Mid;
        long mlp = 3L * shape.HiddenSize * shape.IntermediateSize;

        Assert.InRange(2L * shape.VocabSize * shape.HiddenSize + 4 * 8 * mlp + 4 * mlp, 450_000_000, 550_000_000);
    }

    [Fact]
    public void Unknown_shape_names_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelShape.Find("huge"));

        Assert.Contains("mini", error.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
