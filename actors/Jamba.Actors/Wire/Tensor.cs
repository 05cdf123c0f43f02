using System.Runtime.InteropServices;
using MessagePack;

namespace Jamba.Actors.Wire;

/// <summary>
/// A row-major matrix [Rows, Cols] of activations or logits as raw little-endian F32 bytes, so a batch
/// travels as one binary blob rather than as per-element objects.
/// </summary>
[MessagePackObject]
public sealed record Tensor(
    [property: Key(0)] int Rows,
    [property: Key(1)] int Cols,
    [property: Key(2)] byte[] Data)
{
    public static Tensor FromSingles(ReadOnlySpan<float> values, int rows, int cols)
    {
        if (values.Length != rows * cols)
        {
            throw new ArgumentException($"{values.Length} values do not fill a [{rows}, {cols}] tensor", nameof(values));
        }

        EnsureLittleEndian();
        return new Tensor(rows, cols, MemoryMarshal.AsBytes(values).ToArray());
    }

    /// <summary>Copies the values out, checking that the byte count matches the shape.</summary>
    public float[] ToSingles()
    {
        if (Rows < 0 || Cols < 0 || Data.Length != (long)Rows * Cols * sizeof(float))
        {
            throw new InvalidDataException(
                $"tensor [{Rows}, {Cols}] needs {(long)Rows * Cols * sizeof(float)} F32 bytes but carries {Data.Length}");
        }

        EnsureLittleEndian();
        return MemoryMarshal.Cast<byte, float>(Data).ToArray();
    }

    // NOTE: the wire layout is little-endian; a big-endian host would have to swap bytes, which is not implemented.
    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("tensors travel as little-endian F32 and this host is big-endian");
        }
    }
}
