using Jamba.Kernels;

namespace Jamba.Engine.Layers;

/// <summary>y = x · Wᵀ (+ b), with W [out, in] kept in its stored type.</summary>
public sealed class Linear(IComputeBackend backend, Weight weight, float[]? bias = null)
{
    public int InFeatures => weight.Cols;

    public int OutFeatures => weight.Rows;

    public Weight Weight => weight;

    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y)
    {
        backend.MatMul(weight, x, n, y);
        if (bias is null)
        {
            return;
        }

        for (var t = 0; t < n; t++)
        {
            Ops.Add(y.Slice(t * OutFeatures, OutFeatures), bias);
        }
    }
}
