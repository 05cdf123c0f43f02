using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Kernels;

/// <summary>
/// y[n, out] = x[n, in] · Wᵀ for a weight W [out, in] kept in its stored type. Work is split across
/// cores by output rows; 16-bit and 8-bit weights are widened inside the dot product.
/// </summary>
public static unsafe class MatMul
{
    // Below this many multiply-adds a call runs on the calling thread: scheduling costs more than it saves.
    private const long ParallelThreshold = 1 << 18;

    public static void Compute(Weight w, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        var inFeatures = w.Cols;
        var outFeatures = w.Rows;
        if (x.Length < (long)n * inFeatures)
        {
            throw new ArgumentException($"x has {x.Length} values, expected {n}x{inFeatures}", nameof(x));
        }

        if (y.Length < (long)n * outFeatures)
        {
            throw new ArgumentException($"y has {y.Length} values, expected {n}x{outFeatures}", nameof(y));
        }

        var work = (long)n * inFeatures * outFeatures;
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            if (work < ParallelThreshold || Parallelism.Threads == 1)
            {
                ComputeRows(w, xp, n, yp, 0, outFeatures);
                return;
            }

            var xAddress = (nint)xp;
            var yAddress = (nint)yp;
            var chunks = Math.Min(outFeatures, Parallelism.Threads * 4);
            var rowsPerChunk = (outFeatures + chunks - 1) / chunks;
            Parallel.For(0, chunks, Parallelism.Options, chunk =>
            {
                var start = chunk * rowsPerChunk;
                var end = Math.Min(outFeatures, start + rowsPerChunk);
                if (start < end)
                {
                    ComputeRows(w, (float*)xAddress, n, (float*)yAddress, start, end);
                }
            });
        }
    }

    // Each output element is one dot product of a weight row and an input row, summed in the same order
    // whatever n is, so a sequence gets bitwise the same result alone or inside a batch. F32 and BF16
    // weights go through 4 x 4 register blocks; the rows and inputs left over take the plain dot product.
    private static void ComputeRows(Weight w, float* x, int n, float* y, int rowStart, int rowEnd)
    {
        var inFeatures = w.Cols;
        var outFeatures = w.Rows;
        if (w is HostWeight { Type: DType.F16 })
        {
            ComputeWidenedRows(w, x, n, y, rowStart, rowEnd);
            return;
        }

        var r = rowStart;
        if (Vector256.IsHardwareAccelerated && w is HostWeight { Type: DType.F32 or DType.BF16 } host && n >= 4)
        {
            var bfloat16 = host.Type == DType.BF16;
            var rowBytes = inFeatures * host.Type.ByteSize();
            var blockedTokens = n - n % 4;
            for (; r + 4 <= rowEnd; r += 4)
            {
                var rows = host.Data + (long)r * rowBytes;
                for (var t = 0; t < blockedTokens; t += 4)
                {
                    Dot.Block4x4(rows, rowBytes, bfloat16, x + (long)t * inFeatures, inFeatures, y + (long)t * outFeatures + r, outFeatures);
                }

                for (var t = blockedTokens; t < n; t++)
                {
                    for (var k = 0; k < 4; k++)
                    {
                        y[(long)t * outFeatures + r + k] = RowDot(w, r + k, Input(x, t, inFeatures));
                    }
                }
            }
        }

        Span<float> four = stackalloc float[4];
        for (; r < rowEnd; r++)
        {
            var t = 0;
            if (w is Int8Weight int8)
            {
                for (; t + 4 <= n; t += 4)
                {
                    int8.Dot4(r, Input(x, t, inFeatures), Input(x, t + 1, inFeatures),
                        Input(x, t + 2, inFeatures), Input(x, t + 3, inFeatures), four);
                    for (var k = 0; k < 4; k++)
                    {
                        y[(long)(t + k) * outFeatures + r] = four[k];
                    }
                }
            }

            for (; t < n; t++)
            {
                y[(long)t * outFeatures + r] = RowDot(w, r, Input(x, t, inFeatures));
            }
        }
    }

    private static ReadOnlySpan<float> Input(float* x, int t, int inFeatures) => new(x + (long)t * inFeatures, inFeatures);

    // F16 has no in-register widening here, so each row is widened once into a buffer.
    private static void ComputeWidenedRows(Weight w, float* x, int n, float* y, int rowStart, int rowEnd)
    {
        var inFeatures = w.Cols;
        var outFeatures = w.Rows;
        float[]? rented = null;
        var row = inFeatures <= 4096
            ? stackalloc float[inFeatures]
            : (rented = ArrayPool<float>.Shared.Rent(inFeatures)).AsSpan(0, inFeatures);
        try
        {
            for (var r = rowStart; r < rowEnd; r++)
            {
                w.ReadRow(r, row);
                for (var t = 0; t < n; t++)
                {
                    var input = new ReadOnlySpan<float>(x + (long)t * inFeatures, inFeatures);
                    y[(long)t * outFeatures + r] = TensorPrimitives.Dot(row, input);
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    private static float RowDot(Weight w, int row, ReadOnlySpan<float> x)
    {
        switch (w)
        {
            case HostWeight { Type: DType.F32 } f32:
                return Dot.Single(MemoryMarshal.Cast<byte, float>(f32.RowBytes(row)), x);
            case HostWeight { Type: DType.BF16 } bf16:
                return Dot.BFloat16(MemoryMarshal.Cast<byte, ushort>(bf16.RowBytes(row)), x);
            case Int8Weight int8:
                return int8.Dot(row, x);
            default:
                Span<float> widened = w.Cols <= 4096 ? stackalloc float[w.Cols] : new float[w.Cols];
                w.ReadRow(row, widened);
                return TensorPrimitives.Dot(widened, x);
        }
    }
}
