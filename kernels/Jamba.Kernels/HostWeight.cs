namespace Jamba.Kernels;

/// <summary>
/// A weight whose elements stay in host memory that someone else owns, usually a memory-mapped
/// safetensors file. The owner must outlive this object.
/// </summary>
public sealed unsafe class HostWeight : Weight
{
    private readonly byte* _data;

    public HostWeight(DType type, int rows, int cols, byte* data, object? owner)
        : base(type, rows, cols)
    {
        _data = data;
        Owner = owner;
    }

    /// <summary>Keeps the memory owner (a mapped file, a pinned array) reachable.</summary>
    public object? Owner { get; }

    public byte* Data => _data;

    public ReadOnlySpan<byte> RowBytes(int row)
    {
        var rowBytes = Cols * Type.ByteSize();
        return new ReadOnlySpan<byte>(_data + (long)row * rowBytes, rowBytes);
    }

    public override void ReadRow(int row, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        Widen.ToSingle(Type, RowBytes(row), destination[..Cols]);
    }

    /// <summary>Copies managed F32 values into unmanaged memory owned by the returned weight.</summary>
    public static HostWeight FromArray(float[] values, int rows, int cols)
    {
        if (values.Length != (long)rows * cols)
        {
            throw new ArgumentException($"expected {rows}x{cols} values, got {values.Length}", nameof(values));
        }

        var buffer = new NativeBuffer(values.Length * sizeof(float));
        values.AsSpan().CopyTo(new Span<float>(buffer.Pointer, values.Length));
        return new HostWeight(DType.F32, rows, cols, buffer.Pointer, buffer);
    }
}
