using System.Numerics.Tensors;

namespace Jamba.Kernels;

/// <summary>Element-wise and row-wise steps of the forward pass, on F32 host buffers.</summary>
public static class Ops
{
    /// <summary>y = x / sqrt(mean(x²) + eps) * weight, for each row of length weight.Length.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        var width = weight.Length;
        for (var offset = 0; offset < x.Length; offset += width)
        {
            var row = x.Slice(offset, width);
            var output = y.Slice(offset, width);
            var meanSquare = TensorPrimitives.SumOfSquares(row) / width;
            var scale = 1f / MathF.Sqrt(meanSquare + eps);
            TensorPrimitives.Multiply(row, scale, output);
            TensorPrimitives.Multiply(output, weight, output);
        }
    }

    /// <summary>x = x * sigmoid(x).</summary>
    public static void SiLU(Span<float> x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = x[i] / (1f + MathF.Exp(-x[i]));
        }
    }

    /// <summary>Softplus with PyTorch's default threshold: above 20 it returns x unchanged.</summary>
    public static float Softplus(float x) => x > 20f ? x : MathF.Log(1f + MathF.Exp(x));

    public static void Softmax(Span<float> x) => TensorPrimitives.SoftMax(x, x);

    public static void Add(Span<float> destination, ReadOnlySpan<float> source) =>
        TensorPrimitives.Add(destination, source, destination);

    public static void Multiply(Span<float> destination, ReadOnlySpan<float> source) =>
        TensorPrimitives.Multiply(destination, source, destination);
}
