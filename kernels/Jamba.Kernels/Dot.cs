using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Kernels;

/// <summary>
/// Dot products of stored weight rows with F32 inputs, widening 16-bit weights in registers.
/// Every path sums in one order: one 8-lane accumulator over the row, then its lanes, then the tail
/// element by element. So an output is bitwise the same whether its input came alone or in a block,
/// and a sequence decodes identically alone or inside a batch.
/// </summary>
public static unsafe class Dot
{
    private const int Lanes = 8;

    public static float Single(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated && w.Length >= Lanes)
        {
            ref var weights = ref MemoryMarshal.GetReference(w);
            ref var input = ref MemoryMarshal.GetReference(x);
            var accumulator = Vector256<float>.Zero;
            for (; i <= w.Length - Lanes; i += Lanes)
            {
                accumulator = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref weights, (nuint)i), Vector256.LoadUnsafe(ref input, (nuint)i), accumulator);
            }

            sum = Vector256.Sum(accumulator);
        }

        for (; i < w.Length; i++)
        {
            sum = MathF.FusedMultiplyAdd(w[i], x[i], sum);
        }

        return sum;
    }

    /// <summary>Σ w[i] · x[i] for BF16 w: each element is widened in registers by a 16-bit shift.</summary>
    public static float BFloat16(ReadOnlySpan<ushort> w, ReadOnlySpan<float> x)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated && w.Length >= Lanes)
        {
            ref var weights = ref MemoryMarshal.GetReference(w);
            ref var input = ref MemoryMarshal.GetReference(x);
            var accumulator = Vector256<float>.Zero;
            for (; i <= w.Length - Lanes; i += Lanes)
            {
                accumulator = Vector256.FusedMultiplyAdd(WidenBFloat16(ref weights, i), Vector256.LoadUnsafe(ref input, (nuint)i), accumulator);
            }

            sum = Vector256.Sum(accumulator);
        }

        for (; i < w.Length; i++)
        {
            sum = MathF.FusedMultiplyAdd(Widen.BFloat16ToSingle(w[i]), x[i], sum);
        }

        return sum;
    }

    public static float BFloat16Scalar(ReadOnlySpan<ushort> w, ReadOnlySpan<float> x)
    {
        var sum = 0f;
        for (var i = 0; i < w.Length; i++)
        {
            sum += Widen.BFloat16ToSingle(w[i]) * x[i];
        }

        return sum;
    }

    /// <summary>
    /// A 4 x 4 block: rows r..r+3 of an F32 or BF16 weight against inputs t..t+3. Each weight vector is
    /// loaded once for four inputs and each input vector once for four rows, with 16 independent
    /// accumulators to keep the FMA units busy. y[t, r] lands at y + t * yStride + r.
    /// </summary>
    public static void Block4x4(byte* rows, int rowBytes, bool bfloat16, float* x, int length, float* y, int yStride)
    {
        var vectorEnd = length - length % Lanes;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (var i = 0; i < vectorEnd; i += Lanes)
        {
            var x0 = Vector256.Load(x + i);
            var x1 = Vector256.Load(x + length + i);
            var x2 = Vector256.Load(x + 2 * length + i);
            var x3 = Vector256.Load(x + 3 * length + i);

            var w0 = LoadRow(rows, bfloat16, i);
            a00 = Vector256.FusedMultiplyAdd(w0, x0, a00);
            a01 = Vector256.FusedMultiplyAdd(w0, x1, a01);
            a02 = Vector256.FusedMultiplyAdd(w0, x2, a02);
            a03 = Vector256.FusedMultiplyAdd(w0, x3, a03);

            var w1 = LoadRow(rows + rowBytes, bfloat16, i);
            a10 = Vector256.FusedMultiplyAdd(w1, x0, a10);
            a11 = Vector256.FusedMultiplyAdd(w1, x1, a11);
            a12 = Vector256.FusedMultiplyAdd(w1, x2, a12);
            a13 = Vector256.FusedMultiplyAdd(w1, x3, a13);

            var w2 = LoadRow(rows + 2 * rowBytes, bfloat16, i);
            a20 = Vector256.FusedMultiplyAdd(w2, x0, a20);
            a21 = Vector256.FusedMultiplyAdd(w2, x1, a21);
            a22 = Vector256.FusedMultiplyAdd(w2, x2, a22);
            a23 = Vector256.FusedMultiplyAdd(w2, x3, a23);

            var w3 = LoadRow(rows + 3 * rowBytes, bfloat16, i);
            a30 = Vector256.FusedMultiplyAdd(w3, x0, a30);
            a31 = Vector256.FusedMultiplyAdd(w3, x1, a31);
            a32 = Vector256.FusedMultiplyAdd(w3, x2, a32);
            a33 = Vector256.FusedMultiplyAdd(w3, x3, a33);
        }

        Store(rows, rowBytes, bfloat16, x, length, vectorEnd, y, yStride, 0, a00, a01, a02, a03);
        Store(rows, rowBytes, bfloat16, x, length, vectorEnd, y, yStride, 1, a10, a11, a12, a13);
        Store(rows, rowBytes, bfloat16, x, length, vectorEnd, y, yStride, 2, a20, a21, a22, a23);
        Store(rows, rowBytes, bfloat16, x, length, vectorEnd, y, yStride, 3, a30, a31, a32, a33);
    }

    // Reduces row r's four accumulators, finishing each with the scalar tail in the canonical order.
    private static void Store(byte* rows, int rowBytes, bool bfloat16, float* x, int length, int vectorEnd, float* y, int yStride,
        int r, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3)
    {
        var row = rows + r * rowBytes;
        y[r] = Tail(row, bfloat16, x, vectorEnd, length, Vector256.Sum(t0));
        y[yStride + r] = Tail(row, bfloat16, x + length, vectorEnd, length, Vector256.Sum(t1));
        y[2 * yStride + r] = Tail(row, bfloat16, x + 2 * length, vectorEnd, length, Vector256.Sum(t2));
        y[3 * yStride + r] = Tail(row, bfloat16, x + 3 * length, vectorEnd, length, Vector256.Sum(t3));
    }

    private static float Tail(byte* row, bool bfloat16, float* x, int start, int length, float sum)
    {
        for (var i = start; i < length; i++)
        {
            var weight = bfloat16 ? Widen.BFloat16ToSingle(((ushort*)row)[i]) : ((float*)row)[i];
            sum = MathF.FusedMultiplyAdd(weight, x[i], sum);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadRow(byte* row, bool bfloat16, int offset) => bfloat16
        ? (Vector256.WidenLower(Vector128.Load((ushort*)row + offset).ToVector256Unsafe()) << 16).AsSingle()
        : Vector256.Load((float*)row + offset);

    // BF16 is the upper half of an F32, so widening is a 16-bit left shift of the bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WidenBFloat16(ref ushort weights, int offset) =>
        (Vector256.WidenLower(Vector128.LoadUnsafe(ref weights, (nuint)offset).ToVector256Unsafe()) << 16).AsSingle();
}
