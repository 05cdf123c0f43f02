using System.Buffers;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;

namespace Jamba.Kernels;

/// <summary>
/// y[n, out] = x[n, in] · Wᵀ for a weight W [out, in] kept in its stored type. Work is split across
/// cores by output rows. A single input row (decode) widens weights inside the dot product; several
/// rows (prefill, batched decode) widen each weight row once and reuse it for all n inputs.
/// </summary>
public static unsafe class MatMul
{
    // Below this many multiply-adds a call runs on the calling thread: scheduling costs more than it saves.
    private const long ParallelThreshold = 1 << 15;

    public static void Compute(Weight w, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        var inFeatures = w.Cols;
        var outFeatures = w.Rows;
        if (x.Length < (long)n * inFeatures)
        {
            throw new ArgumentException($"x holds {x.Length} values, expected {n}x{inFeatures}", nameof(x));
        }

        if (y.Length < (long)n * outFeatures)
        {
            throw new ArgumentException($"y holds {y.Length} values, expected {n}x{outFeatures}", nameof(y));
        }

        var work = (long)n * inFeatures * outFeatures;
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            if (work < ParallelThreshold || Environment.ProcessorCount == 1)
            {
                ComputeRows(w, xp, n, yp, 0, outFeatures);
                return;
            }

            var xAddress = (nint)xp;
            var yAddress = (nint)yp;
            var chunks = Math.Min(outFeatures, Environment.ProcessorCount * 4);
            var rowsPerChunk = (outFeatures + chunks - 1) / chunks;
            Parallel.For(0, chunks, chunk =>
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

    private static void ComputeRows(Weight w, float* x, int n, float* y, int rowStart, int rowEnd)
    {
        var inFeatures = w.Cols;
        var outFeatures = w.Rows;
        if (n == 1)
        {
            var input = new ReadOnlySpan<float>(x, inFeatures);
            for (var r = rowStart; r < rowEnd; r++)
            {
                y[r] = RowDot(w, r, input);
            }

            return;
        }

        float[]? rented = null;
        var row = w.Type == DType.F32 && w is HostWeight
            ? Span<float>.Empty
            : inFeatures <= 4096
                ? stackalloc float[inFeatures]
                : (rented = ArrayPool<float>.Shared.Rent(inFeatures)).AsSpan(0, inFeatures);
        try
        {
            for (var r = rowStart; r < rowEnd; r++)
            {
                scoped ReadOnlySpan<float> weights;
                if (w is HostWeight { Type: DType.F32 } f32)
                {
                    weights = MemoryMarshal.Cast<byte, float>(f32.RowBytes(r));
                }
                else
                {
                    w.ReadRow(r, row);
                    weights = row;
                }

                for (var t = 0; t < n; t++)
                {
                    var input = new ReadOnlySpan<float>(x + (long)t * inFeatures, inFeatures);
                    y[(long)t * outFeatures + r] = TensorPrimitives.Dot(weights, input);
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
                return TensorPrimitives.Dot(MemoryMarshal.Cast<byte, float>(f32.RowBytes(row)), x);
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
