namespace Jamba.Engine.State;

/// <summary>What one layer keeps for one sequence between calls.</summary>
public abstract class LayerState
{
    /// <summary>Bytes this state occupies now.</summary>
    public abstract long ByteCount { get; }

    internal abstract void Write(BinaryWriter writer);

    /// <summary>
    /// Reads a layer snapshot written by <see cref="Write"/> into a new object of this layer's layout,
    /// leaving this one untouched; throws <see cref="InvalidDataException"/> on a mismatch or short input.
    /// </summary>
    internal abstract LayerState ReadSameLayout(BinaryReader reader);

    /// <summary>
    /// Takes over the contents of a state that <see cref="ReadSameLayout"/> returned. It only copies or
    /// swaps buffers of the sizes already checked, so it cannot fail partway.
    /// </summary>
    internal abstract void Adopt(LayerState source);

    private protected static void ReadExactly(BinaryReader reader, Span<byte> destination)
    {
        if (reader.BaseStream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) != destination.Length)
        {
            throw new InvalidDataException("state snapshot ends early");
        }
    }

    private protected static long RemainingBytes(BinaryReader reader) =>
        reader.BaseStream.Length - reader.BaseStream.Position;
}
