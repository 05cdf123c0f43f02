using BenchmarkDotNet.Attributes;
using Jamba.Kernels;

namespace Jamba.Benchmarks;

/// <summary>
/// Matrix-vector (decode) and matrix-matrix (prefill) products in each weight type, at the size of
/// one expert projection of the mid shape (hidden 1024, intermediate 3584).
/// </summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    private const int Rows = 3584;
    private const int Cols = 1024;

    private Weight _weight = null!;
    private float[] _x = null!;
    private float[] _y = null!;

    [Params(WeightFormat.F32, WeightFormat.BF16, WeightFormat.Int8)]
    public WeightFormat Format { get; set; }

    [Params(1, 16, 128)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var values = Enumerable.Range(0, Rows * Cols).Select(_ => random.NextSingle() * 0.1f - 0.05f).ToArray();
        _weight = new CpuBackend(Format).Prepare(HostWeight.FromArray(values, Rows, Cols));
        _x = Enumerable.Range(0, Tokens * Cols).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _y = new float[Tokens * Rows];
    }

    [Benchmark]
    public void MatMul() => Jamba.Kernels.MatMul.Compute(_weight, _x, Tokens, _y);
}
