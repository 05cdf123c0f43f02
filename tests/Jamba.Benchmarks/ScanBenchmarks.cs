using BenchmarkDotNet.Attributes;
using Jamba.Kernels;

namespace Jamba.Benchmarks;

/// <summary>The selective scan of one Mamba layer of the mid shape (d_inner 2048, d_state 16).</summary>
public class ScanBenchmarks
{
    private const int DInner = 2048;
    private const int DState = 16;

    private float[] _u = null!, _delta = null!, _b = null!, _c = null!, _a = null!, _d = null!, _h = null!, _y = null!;

    [Params(1, 512)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        float[] Values(int count, float scale) => Enumerable.Range(0, count).Select(_ => (random.NextSingle() - 0.5f) * scale).ToArray();
        _u = Values(Tokens * DInner, 2);
        _delta = Values(Tokens * DInner, 0.1f).Select(MathF.Abs).ToArray();
        _b = Values(Tokens * DState, 2);
        _c = Values(Tokens * DState, 2);
        _a = Values(DInner * DState, 1).Select(v => -MathF.Exp(v)).ToArray();
        _d = Values(DInner, 1);
        _h = new float[DInner * DState];
        _y = new float[Tokens * DInner];
    }

    [Benchmark(Baseline = true)]
    public void Vector() => SelectiveScan.Run(_u, _delta, _b, _c, _a, _d, _h, _y);

    [Benchmark]
    public void Scalar() => SelectiveScan.RunScalar(_u, _delta, _b, _c, _a, _d, _h, _y, DInner, DState, Tokens);
}
