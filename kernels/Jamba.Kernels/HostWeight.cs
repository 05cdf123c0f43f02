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

    /// <summary>A view of rows [start, start + count) sharing this weight's memory.</summary>
    public HostWeight SliceRows(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, Rows);
        return new HostWeight(Type, count, Cols, _data + (long)start * Cols * Type.ByteSize(), Owner);
    }

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

    /// <summary>Copies <paramref name="source"/> into new host memory as F32 or BF16 (rounded to nearest even).</summary>
    public static HostWeight Convert(Weight source, DType target)
    {
        if (target is not (DType.F32 or DType.BF16))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "conversion targets are F32 and BF16");
        }

        var buffer = new NativeBuffer(source.ElementCount * target.ByteSize());
        var row = new float[source.Cols];
        for (var r = 0; r < source.Rows; r++)
        {
            source.ReadRow(r, row);
            var offset = (long)r * source.Cols;
            if (target == DType.F32)
            {
                row.CopyTo(new Span<float>((float*)buffer.Pointer + offset, source.Cols));
            }
            else
            {
                var destination = new Span<ushort>((ushort*)buffer.Pointer + offset, source.Cols);
                for (var i = 0; i < row.Length; i++)
                {
                    destination[i] = Widen.SingleToBFloat16(row[i]);
                }
            }
        }

        return new HostWeight(target, source.Rows, source.Cols, buffer.Pointer, buffer);
    }
}
