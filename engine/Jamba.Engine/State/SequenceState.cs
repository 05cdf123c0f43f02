namespace Jamba.Engine.State;

/// <summary>
/// Everything a sequence keeps between calls for the layers one node serves: a KV cache for each
/// attention layer and a conv window plus SSM state for each Mamba layer. Layers served elsewhere are null.
/// </summary>
public sealed class SequenceState
{
    private const uint Magic = 0x534D424A; // "JBMS" in little-endian bytes
    private const int FormatVersion = 1;

    // Per-layer kind tags in the snapshot.
    private const byte NoState = 0;
    private const byte AttentionState = 1;
    private const byte MambaState = 2;

    public SequenceState(LayerState?[] layers)
    {
        Layers = layers;
    }

    public LayerState?[] Layers { get; }

    /// <summary>Tokens this state has seen; the position of the next token.</summary>
    public int Position { get; set; }

    public long ByteCount => Layers.Sum(layer => layer?.ByteCount ?? 0);

    /// <summary>Writes a byte-exact snapshot that <see cref="Restore"/> reads back.</summary>
    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(Layers.Length);
            writer.Write(Position);
            foreach (var layer in Layers)
            {
                writer.Write(KindOf(layer));
                layer?.Write(writer);
            }
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Replaces this state's contents with a snapshot taken from a state of the same layout. The
    /// snapshot is read whole before anything changes, so on <see cref="InvalidDataException"/> (a bad
    /// magic number, another layout, a truncated or corrupt snapshot) this state is left as it was.
    /// </summary>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        using var stream = new MemoryStream(snapshot.ToArray(), writable: false);
        using var reader = new BinaryReader(stream);
        int position;
        var restored = new LayerState?[Layers.Length];
        try
        {
            if (reader.ReadUInt32() != Magic)
            {
                throw new InvalidDataException("not a sequence state snapshot (bad magic number)");
            }

            var version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"snapshot format version {version}, this build reads {FormatVersion}");
            }

            var layerCount = reader.ReadInt32();
            if (layerCount != Layers.Length)
            {
                throw new InvalidDataException($"snapshot has {layerCount} layers, this state has {Layers.Length}");
            }

            position = reader.ReadInt32();
            if (position < 0)
            {
                throw new InvalidDataException($"snapshot has negative position {position}");
            }

            for (var i = 0; i < Layers.Length; i++)
            {
                var kind = reader.ReadByte();
                var expected = KindOf(Layers[i]);
                if (kind != expected)
                {
                    throw new InvalidDataException(
                        $"snapshot layer {i} holds {KindName(kind)} state, this state holds {KindName(expected)} state");
                }

                restored[i] = Layers[i]?.ReadSameLayout(reader);
            }

            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"snapshot has {stream.Length - stream.Position} trailing bytes");
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("state snapshot ends early", e);
        }

        // Nothing below can fail, so the state changes all at once or not at all.
        for (var i = 0; i < Layers.Length; i++)
        {
            Layers[i]?.Adopt(restored[i]!);
        }

        Position = position;
    }

    private static byte KindOf(LayerState? layer) => layer switch
    {
        null => NoState,
        AttentionCache => AttentionState,
        MambaCache => MambaState,
        _ => throw new InvalidOperationException($"unknown layer state {layer.GetType().Name}"),
    };

    private static string KindName(byte kind) => kind switch
    {
        NoState => "no",
        AttentionState => "attention (KV cache)",
        MambaState => "Mamba",
        _ => $"unknown ({kind})",
    };
}
