namespace Jamba.Engine.State;

/// <summary>
/// Everything a sequence keeps between calls for the layers one node serves: a KV cache for each
/// attention layer and a conv window plus SSM state for each Mamba layer. Layers served elsewhere are null.
/// </summary>
public sealed class SequenceState
{
    private const uint Magic = 0x534D424A; // "JBMS" in little-endian bytes
    private const int FormatVersion = 1;

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
                writer.Write(layer switch
                {
                    null => (byte)0,
                    AttentionCache => (byte)1,
                    MambaCache => (byte)2,
                    _ => throw new InvalidOperationException($"unknown layer state {layer.GetType().Name}"),
                });
                layer?.Write(writer);
            }
        }

        return stream.ToArray();
    }

    /// <summary>Replaces this state's contents with a snapshot taken from a state of the same layout.</summary>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        using var stream = new MemoryStream(snapshot.ToArray());
        using var reader = new BinaryReader(stream);
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

            var position = reader.ReadInt32();
            for (var i = 0; i < Layers.Length; i++)
            {
                var kind = reader.ReadByte();
                var expected = Layers[i] switch { null => 0, AttentionCache => 1, _ => 2 };
                if (kind != expected)
                {
                    throw new InvalidDataException($"snapshot layer {i} has state kind {kind}, this state has {expected}");
                }

                Layers[i]?.Read(reader);
            }

            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"snapshot has {stream.Length - stream.Position} trailing bytes");
            }

            Position = position;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("state snapshot ends early", e);
        }
    }
}
