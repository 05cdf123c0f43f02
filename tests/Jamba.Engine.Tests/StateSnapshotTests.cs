using System.Buffers.Binary;
using Jamba.Engine.State;

namespace Jamba.Engine.Tests;

/// <summary>
/// A state snapshot taken mid-sequence continues bit for bit in another state, and a snapshot that
/// does not fit raises <see cref="InvalidDataException"/> with the target state left as it was.
/// </summary>
public class StateSnapshotTests
{
    private static readonly int[] Prefix = [1, 17, 42, 99, 5];
    private static readonly int[] Continuation = [7, 200, 3, 64, 128, 9];

    [Theory]
    [InlineData("tiny-moe")]
    [InlineData("tiny-dense-bf16")]
    public void Restored_state_continues_bitwise(string name)
    {
        var dir = Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", name);
        using var model = JambaModel.Load(dir);
        using var secondModel = JambaModel.Load(dir);
        var original = model.CreateState();
        model.Forward(original, Prefix);
        var snapshot = original.Serialize();

        var fresh = model.CreateState();
        fresh.Restore(snapshot);
        var onSecondModel = secondModel.CreateState();
        onSecondModel.Restore(snapshot);

        Assert.Equal(Prefix.Length, fresh.Position);
        Assert.Equal(Prefix.Length, onSecondModel.Position);
        Assert.Equal(original.ByteCount, fresh.ByteCount);
        var expected = model.Forward(original, Continuation, allLogits: true);
        Assert.Equal(expected, model.Forward(fresh, Continuation, allLogits: true));
        Assert.Equal(expected, secondModel.Forward(onSecondModel, Continuation, allLogits: true));

        foreach (var token in new[] { 11, 12, 13 })
        {
            var next = model.Forward(original, [token]);
            Assert.Equal(next, model.Forward(fresh, [token]));
            Assert.Equal(next, secondModel.Forward(onSecondModel, [token]));
        }
    }

    [Fact]
    public void Restore_keeps_layer_objects()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var source = model.CreateState();
        model.Forward(source, Prefix);
        var target = model.CreateState();
        var layers = target.Layers.ToArray();

        target.Restore(source.Serialize());

        for (var i = 0; i < layers.Length; i++)
        {
            Assert.Same(layers[i], target.Layers[i]);
        }

        Assert.Equal(source.Serialize(), target.Serialize());
    }

    [Fact]
    public void Empty_state_round_trips()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var target = model.CreateState();
        model.Forward(target, Prefix);

        target.Restore(model.CreateState().Serialize());

        Assert.Equal(0, target.Position);
        Assert.Equal(StateSize.For(model.Config).BytesFor(0), target.ByteCount);
        Assert.Equal(model.CreateState().Serialize(), target.Serialize());
    }

    [Fact]
    public void Snapshot_of_other_model_rejected()
    {
        using var moe = JambaModel.Load(Fixtures.TinyMoe);
        using var dense = JambaModel.Load(Fixtures.TinyDenseBf16);
        var source = dense.CreateState();
        dense.Forward(source, Prefix);
        var (target, before) = UsedState(moe);

        var error = Assert.Throws<InvalidDataException>(() => target.Restore(source.Serialize()));

        Assert.Contains("6 layers", error.Message);
        Assert.Contains("8", error.Message);
        AssertUnchanged(target, before);
    }

    [Fact]
    public void Snapshot_of_other_layer_range_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        using var firstHalf = JambaModel.Load(Fixtures.TinyMoe, new ModelPart { EndLayer = 4, Head = false });
        var source = firstHalf.CreateState();
        var (target, before) = UsedState(model);

        var error = Assert.Throws<InvalidDataException>(() => target.Restore(source.Serialize()));

        Assert.Contains("layer 4", error.Message);
        AssertUnchanged(target, before);
    }

    [Fact]
    public void Snapshot_with_other_mamba_layout_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var (target, before) = UsedState(model);
        var snapshot = target.Serialize();

        // Layer 0 is a Mamba layer: its record starts after the 16-byte header and the kind byte with d_inner.
        BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(17), 64);
        var error = Assert.Throws<InvalidDataException>(() => target.Restore(snapshot));

        Assert.Contains("d_inner 128", error.Message);
        AssertUnchanged(target, before);
    }

    [Fact]
    public void Bad_magic_number_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var (target, before) = UsedState(model);
        var snapshot = target.Serialize();
        snapshot[0] ^= 0xFF;

        var error = Assert.Throws<InvalidDataException>(() => target.Restore(snapshot));

        Assert.Contains("magic number", error.Message);
        AssertUnchanged(target, before);
    }

    [Fact]
    public void Unknown_format_version_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var (target, before) = UsedState(model);
        var snapshot = target.Serialize();
        BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(4), 99);

        var error = Assert.Throws<InvalidDataException>(() => target.Restore(snapshot));

        Assert.Contains("version 99", error.Message);
        AssertUnchanged(target, before);
    }

    /// <summary>Cuts a snapshot at points spread over every layer, the last one included.</summary>
    [Fact]
    public void Truncated_snapshot_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var source = model.CreateState();
        model.Forward(source, Continuation);
        var snapshot = source.Serialize();
        var (target, before) = UsedState(model);
        int[] cuts = [0, 3, 4, 15, 16, 17, 21, .. Enumerable.Range(1, 40).Select(i => snapshot.Length * i / 41), snapshot.Length - 1];

        foreach (var length in cuts)
        {
            var error = Assert.Throws<InvalidDataException>(() => target.Restore(snapshot.AsSpan(0, length)));

            Assert.Contains("ends early", error.Message);
            AssertUnchanged(target, before);
        }
    }

    [Fact]
    public void Trailing_bytes_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var (target, before) = UsedState(model);
        var snapshot = target.Serialize();

        var error = Assert.Throws<InvalidDataException>(() => target.Restore([.. snapshot, 0, 0]));

        Assert.Contains("2 trailing bytes", error.Message);
        AssertUnchanged(target, before);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1 << 20)]
    [InlineData(-1)]
    public void Corrupt_kv_cache_length_rejected(int length)
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var (target, before) = UsedState(model);
        var snapshot = target.Serialize();
        var lengthOffset = AttentionLengthOffset(model, snapshot);
        Assert.Equal(Prefix.Length, BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(lengthOffset)));
        BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(lengthOffset), length);

        var error = Assert.Throws<InvalidDataException>(() => target.Restore(snapshot));

        Assert.Contains("attention state", error.Message);
        AssertUnchanged(target, before);
    }

    [Fact]
    public void Negative_position_rejected()
    {
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var (target, before) = UsedState(model);
        var snapshot = target.Serialize();
        BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(12), -3);

        var error = Assert.Throws<InvalidDataException>(() => target.Restore(snapshot));

        Assert.Contains("position -3", error.Message);
        AssertUnchanged(target, before);
    }

    private static (SequenceState State, byte[] Snapshot) UsedState(JambaModel model)
    {
        var state = model.CreateState();
        model.Forward(state, Prefix);
        return (state, state.Serialize());
    }

    private static void AssertUnchanged(SequenceState state, byte[] before)
    {
        Assert.Equal(Prefix.Length, state.Position);
        Assert.Equal(before, state.Serialize());
    }

    /// <summary>Offset of the token count of the first attention layer's KV cache in a whole-model snapshot.</summary>
    private static int AttentionLengthOffset(JambaModel model, byte[] snapshot)
    {
        var offset = 16; // magic, version, layer count, position
        for (var i = 0; i < model.Config.NumHiddenLayers; i++)
        {
            var kind = snapshot[offset++];
            if (model.Config.IsAttentionLayer(i))
            {
                Assert.Equal(1, kind);
                return offset + sizeof(int);
            }

            offset += 3 * sizeof(int) + (int)model.CreateState().Layers[i]!.ByteCount;
        }

        throw new InvalidOperationException("the model has no attention layer");
    }
}
