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

    private const int ChunkLength = 256;

    /// <summary>x = x * sigmoid(x), in place.</summary>
    public static void SiLU(Span<float> x)
    {
        Span<float> sigmoid = stackalloc float[ChunkLength];
        for (var offset = 0; offset < x.Length; offset += ChunkLength)
        {
            var chunk = x.Slice(offset, Math.Min(ChunkLength, x.Length - offset));
            var gate = sigmoid[..chunk.Length];
            TensorPrimitives.Sigmoid(chunk, gate);
            TensorPrimitives.Multiply(chunk, gate, chunk);
        }
    }

    public static void SiLUScalar(Span<float> x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = x[i] / (1f + MathF.Exp(-x[i]));
        }
    }

    /// <summary>Softplus with PyTorch's default threshold: above 20 it returns x unchanged.</summary>
    public static float Softplus(float x) => x > SoftplusThreshold ? x : MathF.Log(1f + MathF.Exp(x));

    /// <summary>Softplus of every element, in place: log(1 + exp(x)), and x itself above the threshold.</summary>
    public static void Softplus(Span<float> x)
    {
        Span<float> buffer = stackalloc float[ChunkLength];
        for (var offset = 0; offset < x.Length; offset += ChunkLength)
        {
            var chunk = x.Slice(offset, Math.Min(ChunkLength, x.Length - offset));
            var softplus = buffer[..chunk.Length];
            TensorPrimitives.Exp(chunk, softplus);
            TensorPrimitives.Add(softplus, 1f, softplus);
            TensorPrimitives.Log(softplus, softplus);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (chunk[i] <= SoftplusThreshold)
                {
                    chunk[i] = softplus[i];
                }
            }
        }
    }

    public static void SoftplusScalar(Span<float> x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = Softplus(x[i]);
        }
    }

    private const float SoftplusThreshold = 20f;

    /// <summary>
    /// Replaces x with softmax(x). The max is subtracted first, because TensorPrimitives.SoftMax does not
    /// subtract it, and exp of an input above about 88 overflows a float and turns the result into NaN.
    /// </summary>
    public static void Softmax(Span<float> x)
    {
        TensorPrimitives.Subtract(x, TensorPrimitives.Max(x), x);
        TensorPrimitives.SoftMax(x, x);
    }

    public static void Add(Span<float> destination, ReadOnlySpan<float> source) =>
        TensorPrimitives.Add(destination, source, destination);

    public static void Multiply(Span<float> destination, ReadOnlySpan<float> source) =>
        TensorPrimitives.Multiply(destination, source, destination);
}
