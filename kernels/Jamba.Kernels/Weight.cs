namespace Jamba.Kernels;

/// <summary>
/// A read-only weight matrix [Rows, Cols] in row-major order, kept in its stored element type.
/// A vector is a matrix with one row. Backends decide where the elements live (host memory, a
/// memory-mapped file, a device).
/// </summary>
public abstract class Weight
{
    protected Weight(DType type, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        Type = type;
        Rows = rows;
        Cols = cols;
    }

    public DType Type { get; }

    public int Rows { get; }

    public int Cols { get; }

    public long ElementCount => (long)Rows * Cols;

    public long ByteCount => ElementCount * Type.ByteSize();

    /// <summary>Widens row <paramref name="row"/> to F32 into <paramref name="destination"/>.</summary>
    public abstract void ReadRow(int row, Span<float> destination);

    /// <summary>Widens all elements to a new F32 array; meant for small vectors such as norm weights.</summary>
    public float[] ToFloatArray()
    {
        var result = new float[ElementCount];
        for (var r = 0; r < Rows; r++)
        {
            ReadRow(r, result.AsSpan(r * Cols, Cols));
        }

        return result;
    }
}
