using Jamba.Engine.State;

namespace Jamba.Engine.Tests;

/// <summary><see cref="StateSize"/> predicts <see cref="SequenceState.ByteCount"/> for any number of tokens.</summary>
public class StateSizeTests
{
    /// <summary>
    /// In tiny-moe, attention layers 2 and 6 each keep 2 * (2 kv heads * 16 head_dim) floats a token.
    /// Its six Mamba layers each keep (d_conv 4 + d_state 16) * d_inner 128 floats.
    /// In tiny-dense-bf16, attention layers 0 and 3 each keep 2 * (1 * 12) floats a token, and four
    /// Mamba layers each keep (3 + 16) * 96 floats.
    /// </summary>
    [Theory]
    [InlineData("tiny-moe", 2 * 2 * 32 * 4, 6 * 20 * 128 * 4)]
    [InlineData("tiny-dense-bf16", 2 * 2 * 12 * 4, 4 * 19 * 96 * 4)]
    public void Size_from_config(string name, long bytesPerToken, long fixedBytes)
    {
        using var model = JambaModel.Load(Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", name));

        var size = StateSize.For(model.Config);

        Assert.Equal(bytesPerToken, size.BytesPerToken);
        Assert.Equal(fixedBytes, size.FixedBytes);
        Assert.Equal(fixedBytes + 10 * bytesPerToken, size.BytesFor(10));
    }

    [Theory]
    [InlineData("tiny-moe")]
    [InlineData("tiny-dense-bf16")]
    public void Size_matches_state_byte_count(string name)
    {
        using var model = JambaModel.Load(Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", name));
        var size = StateSize.For(model.Config);
        var state = model.CreateState();
        Assert.Equal(size.BytesFor(0), state.ByteCount);

        // 70 tokens take the KV cache past its initial capacity of 64.
        var fed = 0;
        foreach (var chunk in new[] { 7, 1, 1, 61 })
        {
            model.Forward(state, Enumerable.Range(fed, chunk).Select(t => (t * 37 + 3) % model.Config.VocabSize).ToArray());
            fed += chunk;

            Assert.Equal(size.BytesFor(fed), state.ByteCount);
        }

        var restored = model.CreateState();
        restored.Restore(state.Serialize());
        Assert.Equal(size.BytesFor(fed), restored.ByteCount);
    }

    [Fact]
    public void Size_of_layer_range()
    {
        using var part = JambaModel.Load(Fixtures.TinyMoe, new ModelPart { FirstLayer = 2, EndLayer = 5, Head = false });
        var size = StateSize.For(part.Config, 2, 5);
        var state = part.CreateState();
        int[] ids = [4, 8, 15, 16, 23];

        part.ForwardLayers(part.Embed(ids), ids.Length, state);

        Assert.Equal(2 * 32 * 4, size.BytesPerToken);
        Assert.Equal(2 * 20 * 128 * 4, size.FixedBytes);
        Assert.Equal(size.BytesFor(ids.Length), state.ByteCount);
    }

    [Theory]
    [InlineData(-1, 4)]
    [InlineData(3, 2)]
    [InlineData(0, 9)]
    public void Invalid_layer_range_rejected(int first, int end)
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);

        Assert.Throws<ArgumentOutOfRangeException>(() => StateSize.For(model.Config, first, end));
    }

    [Fact]
    public void Negative_token_count_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);

        Assert.Throws<ArgumentOutOfRangeException>(() => StateSize.For(model.Config).BytesFor(-1));
    }
}
