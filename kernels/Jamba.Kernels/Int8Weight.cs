using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Jamba.Kernels;

/// <summary>
/// A weight quantized to 8 bits: each row is cut into blocks of 32 values that share one F16 scale,
/// value ≈ scale · q with q in [-127, 127]. That is 34 bytes per 32 weights, 53% of BF16.
/// </summary>
public sealed unsafe class Int8Weight : Weight
{
    public const int BlockSize = 32;

    private readonly sbyte[] _values;
    private readonly Half[] _scales;

    private Int8Weight(int rows, int cols, sbyte[] values, Half[] scales)
        : base(DType.Int8, rows, cols)
    {
        _values = values;
        _scales = scales;
    }

    public int BlocksPerRow => (Cols + BlockSize - 1) / BlockSize;

    /// <summary>Bytes held: the 8-bit values plus the scales.</summary>
    public long StoredBytes => _values.LongLength + _scales.LongLength * sizeof(ushort);

    /// <summary>Quantizes any weight row by row: scale = max |w| / 127 over each block, q = round(w / scale).</summary>
    public static Int8Weight Quantize(Weight source)
    {
        var rows = source.Rows;
        var cols = source.Cols;
        var blocks = (cols + BlockSize - 1) / BlockSize;
        var values = new sbyte[(long)rows * cols];
        var scales = new Half[(long)rows * blocks];
        Parallel.For(0, rows, Parallelism.Options, () => new float[cols], (row, _, buffer) =>
        {
            source.ReadRow(row, buffer);
            for (var block = 0; block < blocks; block++)
            {
                var start = block * BlockSize;
                var chunk = buffer.AsSpan(start, Math.Min(BlockSize, cols - start));
                var maxAbs = 0f;
                foreach (var value in chunk)
                {
                    maxAbs = MathF.Max(maxAbs, MathF.Abs(value));
                }

                // The stored scale is rounded to F16, so quantize against the rounded value.
                var scale = (Half)(maxAbs / 127f);
                scales[(long)row * blocks + block] = scale;
                var inverse = (float)scale == 0f ? 0f : 1f / (float)scale;
                for (var i = 0; i < chunk.Length; i++)
                {
                    var q = MathF.Round(chunk[i] * inverse);
                    values[(long)row * cols + start + i] = (sbyte)Math.Clamp(q, -127f, 127f);
                }
            }

            return buffer;
        }, _ => { });

        return new Int8Weight(rows, cols, values, scales);
    }

    public override void ReadRow(int row, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        var values = RowValues(row);
        var scales = RowScales(row);
        for (var i = 0; i < Cols; i++)
        {
            destination[i] = (float)scales[i / BlockSize] * values[i];
        }
    }

    public ReadOnlySpan<sbyte> RowValues(int row) => _values.AsSpan(row * Cols, Cols);

    public ReadOnlySpan<Half> RowScales(int row) => _scales.AsSpan(row * BlocksPerRow, BlocksPerRow);

    /// <summary>Σ w[row, i] · x[i], dequantizing inside the dot product.</summary>
    public float Dot(int row, ReadOnlySpan<float> x)
    {
        var values = RowValues(row);
        var scales = RowScales(row);
        var sum = 0f;
        var block = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var q = ref MemoryMarshal.GetReference(values);
            ref var input = ref MemoryMarshal.GetReference(x);
            var total = Vector256<float>.Zero;
            for (; i + BlockSize <= Cols; i += BlockSize, block++)
            {
                var accumulator = Vector256<float>.Zero;
                for (var j = 0; j < BlockSize; j += 16)
                {
                    var (low, high) = WidenSixteen(Vector128.LoadUnsafe(ref q, (nuint)(i + j)));
                    accumulator = Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref input, (nuint)(i + j)), accumulator);
                    accumulator = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref input, (nuint)(i + j + 8)), accumulator);
                }

                // Scaling the block's lanes and reducing once per row saves a horizontal sum per block.
                total = Vector256.FusedMultiplyAdd(Vector256.Create((float)scales[block]), accumulator, total);
            }

            sum = Vector256.Sum(total);
        }

        for (; i < Cols; i += BlockSize, block++)
        {
            sum += (float)scales[block] * DotScalar(values.Slice(i, Math.Min(BlockSize, Cols - i)), x.Slice(i));
        }

        return sum;
    }

    /// <summary>
    /// Four dot products of one row with four inputs, dequantizing each block once for all four. Each
    /// result is bitwise equal to <see cref="Dot"/> of that input alone.
    /// </summary>
    public void Dot4(int row, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, ReadOnlySpan<float> x3,
        Span<float> results)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            results[0] = Dot(row, x0);
            results[1] = Dot(row, x1);
            results[2] = Dot(row, x2);
            results[3] = Dot(row, x3);
            return;
        }

        var values = RowValues(row);
        var scales = RowScales(row);
        ref var q = ref MemoryMarshal.GetReference(values);
        ref var r0 = ref MemoryMarshal.GetReference(x0);
        ref var r1 = ref MemoryMarshal.GetReference(x1);
        ref var r2 = ref MemoryMarshal.GetReference(x2);
        ref var r3 = ref MemoryMarshal.GetReference(x3);
        Vector256<float> total0 = default, total1 = default, total2 = default, total3 = default;
        var block = 0;
        var i = 0;
        for (; i + BlockSize <= Cols; i += BlockSize, block++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < BlockSize; j += 16)
            {
                var (low, high) = WidenSixteen(Vector128.LoadUnsafe(ref q, (nuint)(i + j)));
                var first = (nuint)(i + j);
                var second = first + 8;
                a0 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r0, second), Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r0, first), a0));
                a1 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r1, second), Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r1, first), a1));
                a2 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r2, second), Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r2, first), a2));
                a3 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r3, second), Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r3, first), a3));
            }

            var scale = Vector256.Create((float)scales[block]);
            total0 = Vector256.FusedMultiplyAdd(scale, a0, total0);
            total1 = Vector256.FusedMultiplyAdd(scale, a1, total1);
            total2 = Vector256.FusedMultiplyAdd(scale, a2, total2);
            total3 = Vector256.FusedMultiplyAdd(scale, a3, total3);
        }

        float sum0 = Vector256.Sum(total0), sum1 = Vector256.Sum(total1), sum2 = Vector256.Sum(total2), sum3 = Vector256.Sum(total3);

        for (; i < Cols; i += BlockSize, block++)
        {
            var tailScale = (float)scales[block];
            var tail = values.Slice(i, Math.Min(BlockSize, Cols - i));
            sum0 += tailScale * DotScalar(tail, x0.Slice(i));
            sum1 += tailScale * DotScalar(tail, x1.Slice(i));
            sum2 += tailScale * DotScalar(tail, x2.Slice(i));
            sum3 += tailScale * DotScalar(tail, x3.Slice(i));
        }

        results[0] = sum0;
        results[1] = sum1;
        results[2] = sum2;
        results[3] = sum3;
    }

    // Sixteen 8-bit values to two vectors of F32. AVX2 sign-extends bytes straight to 32 bits
    // (vpmovsxbd); elsewhere the portable path widens twice. Both give the same values.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Low, Vector256<float> High) WidenSixteen(Vector128<sbyte> bytes)
    {
        if (Avx2.IsSupported)
        {
            var low = Avx2.ConvertToVector256Int32(bytes);
            var high = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes, 8));
            return (Avx.ConvertToVector256Single(low), Avx.ConvertToVector256Single(high));
        }

        var shorts = Vector256.WidenLower(bytes.ToVector256Unsafe());
        return (Vector256.ConvertToSingle(Vector256.WidenLower(shorts)), Vector256.ConvertToSingle(Vector256.WidenUpper(shorts)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotScalar(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> x)
    {
        var sum = 0f;
        for (var i = 0; i < values.Length; i++)
        {
            sum += values[i] * x[i];
        }

        return sum;
    }
}
