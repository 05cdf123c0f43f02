using System.Runtime.InteropServices;

namespace Jamba.Engine.State;

/// <summary>The KV cache of one attention layer: keys and values [Length, kvWidth] for every past token.</summary>
public sealed class AttentionCache : LayerState
{
    private float[] _keys;
    private float[] _values;

    public AttentionCache(int kvWidth, int initialCapacity = 64)
    {
        KvWidth = kvWidth;
        _keys = new float[(long)kvWidth * initialCapacity];
        _values = new float[(long)kvWidth * initialCapacity];
    }

    /// <summary>num_key_value_heads * head_dim.</summary>
    public int KvWidth { get; }

    public int Length { get; private set; }

    public ReadOnlySpan<float> Keys => _keys.AsSpan(0, Length * KvWidth);

    public ReadOnlySpan<float> Values => _values.AsSpan(0, Length * KvWidth);

    public override long ByteCount => 2L * Length * KvWidth * sizeof(float);

    /// <summary>Appends the keys and values [count, kvWidth] of new tokens.</summary>
    public void Append(ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int count)
    {
        var needed = (Length + count) * KvWidth;
        if (needed > _keys.Length)
        {
            var capacity = Math.Max(needed, _keys.Length * 2);
            Array.Resize(ref _keys, capacity);
            Array.Resize(ref _values, capacity);
        }

        keys[..(count * KvWidth)].CopyTo(_keys.AsSpan(Length * KvWidth));
        values[..(count * KvWidth)].CopyTo(_values.AsSpan(Length * KvWidth));
        Length += count;
    }

    internal override void Write(BinaryWriter writer)
    {
        writer.Write(KvWidth);
        writer.Write(Length);
        writer.Write(MemoryMarshal.AsBytes(Keys));
        writer.Write(MemoryMarshal.AsBytes(Values));
    }

    internal override LayerState ReadSameLayout(BinaryReader reader)
    {
        var width = reader.ReadInt32();
        if (width != KvWidth)
        {
            throw new InvalidDataException($"attention state has KV width {width}, this layer needs {KvWidth}");
        }

        var length = reader.ReadInt32();
        if (length < 0)
        {
            throw new InvalidDataException($"attention state has negative length {length}");
        }

        // Checked against the bytes present before allocating, so a corrupt length cannot exhaust memory.
        var bytes = 2L * length * KvWidth * sizeof(float);
        if (bytes > RemainingBytes(reader))
        {
            throw new InvalidDataException(
                $"state snapshot ends early: attention state of {length} tokens needs {bytes} bytes, {RemainingBytes(reader)} are left");
        }

        var cache = new AttentionCache(KvWidth, Math.Max(length, 1));
        ReadExactly(reader, MemoryMarshal.AsBytes(cache._keys.AsSpan(0, length * KvWidth)));
        ReadExactly(reader, MemoryMarshal.AsBytes(cache._values.AsSpan(0, length * KvWidth)));
        cache.Length = length;
        return cache;
    }

    internal override void Adopt(LayerState source)
    {
        var cache = (AttentionCache)source;
        _keys = cache._keys;
        _values = cache._values;
        Length = cache.Length;
    }
}
