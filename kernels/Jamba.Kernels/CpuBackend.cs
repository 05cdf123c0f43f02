namespace Jamba.Kernels;

/// <summary>Computes on the host CPU with SIMD kernels, reading weights where they were mapped.</summary>
public sealed class CpuBackend : IComputeBackend
{
    public static CpuBackend Instance { get; } = new();

    public string Name => "cpu";

    public Weight Prepare(Weight source) => source is HostWeight
        ? source
        : throw new ArgumentException($"the CPU backend needs host weights, got {source.GetType().Name}", nameof(source));

    public void MatMul(Weight w, ReadOnlySpan<float> x, int n, Span<float> y) =>
        Jamba.Kernels.MatMul.Compute((HostWeight)w, x, n, y);
}
