using BenchmarkDotNet.Attributes;
using Jamba.Engine.Layers;
using Jamba.Engine.State;
using Jamba.Kernels;

namespace Jamba.Benchmarks;

/// <summary>
/// One decode step of the mid shape's attention layer (16 heads, 4 KV heads, head_dim 64) over a
/// long KV cache: the cost Jamba keeps to one layer in eight.
/// </summary>
public class AttentionBenchmarks
{
    private const int Hidden = 1024;
    private const int KvWidth = 256;

    private AttentionMixer _attention = null!;
    private AttentionCache _cache = null!;
    private byte[] _snapshot = null!;
    private SequenceState _state = null!;
    private float[] _x = null!;
    private float[] _output = null!;

    [Params(4096, 32768)]
    public int Context { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        Weight Matrix(int rows, int cols) =>
            HostWeight.FromArray(Enumerable.Range(0, rows * cols).Select(_ => (random.NextSingle() - 0.5f) * 0.05f).ToArray(), rows, cols);
        _attention = AttentionMixer.Create(CpuBackend.Instance, Matrix(Hidden, Hidden), Matrix(KvWidth, Hidden),
            Matrix(KvWidth, Hidden), Matrix(Hidden, Hidden), heads: 16, kvHeads: 4);
        _cache = _attention.CreateCache();
        var filler = Enumerable.Range(0, 256 * KvWidth).Select(_ => random.NextSingle() - 0.5f).ToArray();
        for (var filled = 0; filled < Context; filled += 256)
        {
            _cache.Append(filler, filler, 256);
        }

        _state = new SequenceState([_cache]);
        _snapshot = _state.Serialize();
        _x = Enumerable.Range(0, Hidden).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _output = new float[Hidden];
    }

    [IterationSetup]
    public void ResetCache() => _state.Restore(_snapshot);

    [Benchmark]
    public void DecodeStep() => _attention.Forward(_x, 1, (AttentionCache)_state.Layers[0]!, _output);
}
