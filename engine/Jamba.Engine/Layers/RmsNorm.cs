using Jamba.Kernels;

namespace Jamba.Engine.Layers;

public sealed class RmsNorm(float[] weight, float eps)
{
    public void Forward(ReadOnlySpan<float> x, Span<float> y) => Ops.RmsNorm(x, weight, eps, y);
}
