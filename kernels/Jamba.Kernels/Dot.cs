using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Kernels;

/// <summary>
/// Dot products of a stored weight row with F32 inputs, widening 16-bit weights in registers.
/// Every path sums in the same order (two 8-lane accumulators over 16-element steps, then the
/// tail in order), so one input alone and the same input among four give bitwise equal results.
/// </summary>
public static class Dot
{
    private const int Step = 16;

    public static float Single(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated && w.Length >= Step)
        {
            ref var weights = ref MemoryMarshal.GetReference(w);
            ref var input = ref MemoryMarshal.GetReference(x);
            var first = Vector256<float>.Zero;
            var second = Vector256<float>.Zero;
            for (; i <= w.Length - Step; i += Step)
            {
                first = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref weights, (nuint)i), Vector256.LoadUnsafe(ref input, (nuint)i), first);
                second = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref weights, (nuint)(i + 8)), Vector256.LoadUnsafe(ref input, (nuint)(i + 8)), second);
            }

            sum = Vector256.Sum(first + second);
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
        if (Vector256.IsHardwareAccelerated && w.Length >= Step)
        {
            ref var weights = ref MemoryMarshal.GetReference(w);
            ref var input = ref MemoryMarshal.GetReference(x);
            var first = Vector256<float>.Zero;
            var second = Vector256<float>.Zero;
            for (; i <= w.Length - Step; i += Step)
            {
                var (low, high) = WidenBFloat16(ref weights, i);
                first = Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref input, (nuint)i), first);
                second = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref input, (nuint)(i + 8)), second);
            }

            sum = Vector256.Sum(first + second);
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
    /// Four dot products of one weight row (F32 or BF16) with four inputs: each weight vector is
    /// loaded and widened once for all four, which halves the loads of a prefill matrix product.
    /// </summary>
    public static void Four(ReadOnlySpan<byte> row, bool bfloat16, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1,
        ReadOnlySpan<float> x2, ReadOnlySpan<float> x3, Span<float> results)
    {
        var length = x0.Length;
        if (!Vector256.IsHardwareAccelerated || length < Step)
        {
            results[0] = OneOf(row, bfloat16, x0);
            results[1] = OneOf(row, bfloat16, x1);
            results[2] = OneOf(row, bfloat16, x2);
            results[3] = OneOf(row, bfloat16, x3);
            return;
        }

        ref var r0 = ref MemoryMarshal.GetReference(x0);
        ref var r1 = ref MemoryMarshal.GetReference(x1);
        ref var r2 = ref MemoryMarshal.GetReference(x2);
        ref var r3 = ref MemoryMarshal.GetReference(x3);
        ref var halves = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, ushort>(row));
        ref var singles = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(row));
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default;
        Vector256<float> a2 = default, b2 = default, a3 = default, b3 = default;
        var i = 0;
        for (; i <= length - Step; i += Step)
        {
            Vector256<float> low, high;
            if (bfloat16)
            {
                (low, high) = WidenBFloat16(ref halves, i);
            }
            else
            {
                low = Vector256.LoadUnsafe(ref singles, (nuint)i);
                high = Vector256.LoadUnsafe(ref singles, (nuint)(i + 8));
            }

            a0 = Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r0, (nuint)i), a0);
            b0 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r0, (nuint)(i + 8)), b0);
            a1 = Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r1, (nuint)i), a1);
            b1 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r1, (nuint)(i + 8)), b1);
            a2 = Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r2, (nuint)i), a2);
            b2 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r2, (nuint)(i + 8)), b2);
            a3 = Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref r3, (nuint)i), a3);
            b3 = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref r3, (nuint)(i + 8)), b3);
        }

        results[0] = Vector256.Sum(a0 + b0);
        results[1] = Vector256.Sum(a1 + b1);
        results[2] = Vector256.Sum(a2 + b2);
        results[3] = Vector256.Sum(a3 + b3);
        for (; i < length; i++)
        {
            var weight = bfloat16 ? Widen.BFloat16ToSingle(Unsafe.Add(ref halves, i)) : Unsafe.Add(ref singles, i);
            results[0] = MathF.FusedMultiplyAdd(weight, x0[i], results[0]);
            results[1] = MathF.FusedMultiplyAdd(weight, x1[i], results[1]);
            results[2] = MathF.FusedMultiplyAdd(weight, x2[i], results[2]);
            results[3] = MathF.FusedMultiplyAdd(weight, x3[i], results[3]);
        }
    }

    private static float OneOf(ReadOnlySpan<byte> row, bool bfloat16, ReadOnlySpan<float> x) => bfloat16
        ? BFloat16(MemoryMarshal.Cast<byte, ushort>(row), x)
        : Single(MemoryMarshal.Cast<byte, float>(row), x);

    // BF16 is the upper half of an F32, so widening is a 16-bit left shift of the bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Low, Vector256<float> High) WidenBFloat16(ref ushort weights, int offset)
    {
        var halves = Vector256.LoadUnsafe(ref weights, (nuint)offset);
        return ((Vector256.WidenLower(halves) << 16).AsSingle(), (Vector256.WidenUpper(halves) << 16).AsSingle());
    }
}
