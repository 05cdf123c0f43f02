using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Kernels;

/// <summary>Widening of 16-bit floats to F32, with a vector path and a scalar path beside it.</summary>
public static class Widen
{
    public static void ToSingle(DType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (type)
        {
            case DType.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case DType.BF16:
                BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported dtype");
        }
    }

    /// <summary>BF16 is the upper half of an F32, so widening is a 16-bit left shift of the bits.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("destination is shorter than source", nameof(destination));
        }

        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var output = MemoryMarshal.Cast<float, uint>(destination);
            for (; i <= source.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
            {
                var halves = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)i);
                var widened = Vector256.WidenLower(halves.ToVector256Unsafe()) << 16;
                widened.StoreUnsafe(ref MemoryMarshal.GetReference(output), (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] = BFloat16ToSingle(source[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds to nearest even, as PyTorch does when it casts F32 to BF16.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
