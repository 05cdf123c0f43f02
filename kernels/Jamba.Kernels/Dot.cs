using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Kernels;

/// <summary>Dot products of a stored weight row with an F32 vector, widening inside the loop.</summary>
public static class Dot
{
    /// <summary>Σ w[i] · x[i] for BF16 w: each element is widened in registers by a 16-bit shift.</summary>
    public static float BFloat16(ReadOnlySpan<ushort> w, ReadOnlySpan<float> x)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated && w.Length >= 16)
        {
            ref var weights = ref MemoryMarshal.GetReference(w);
            ref var input = ref MemoryMarshal.GetReference(x);
            var first = Vector256<float>.Zero;
            var second = Vector256<float>.Zero;
            for (; i <= w.Length - 16; i += 16)
            {
                var halves = Vector256.LoadUnsafe(ref weights, (nuint)i);
                var low = (Vector256.WidenLower(halves) << 16).AsSingle();
                var high = (Vector256.WidenUpper(halves) << 16).AsSingle();
                first = Vector256.FusedMultiplyAdd(low, Vector256.LoadUnsafe(ref input, (nuint)i), first);
                second = Vector256.FusedMultiplyAdd(high, Vector256.LoadUnsafe(ref input, (nuint)(i + 8)), second);
            }

            sum = Vector256.Sum(first + second);
        }

        for (; i < w.Length; i++)
        {
            sum += Widen.BFloat16ToSingle(w[i]) * x[i];
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
}
