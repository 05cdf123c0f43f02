using System.Numerics.Tensors;
using Jamba.Engine.Loading;
using Jamba.Engine.State;
using Jamba.Kernels;

namespace Jamba.Engine.Layers;

/// <summary>
/// Causal grouped-query self-attention with no positional encoding: Jamba's Mamba layers carry the
/// order information, so the attention layers need no RoPE.
/// </summary>
public sealed class AttentionMixer
{
    private readonly Linear _q;
    private readonly Linear _k;
    private readonly Linear _v;
    private readonly Linear _o;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;

    private AttentionMixer(Linear q, Linear k, Linear v, Linear o, int heads, int kvHeads, int headDim)
    {
        _q = q;
        _k = k;
        _v = v;
        _o = o;
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
    }

    public static AttentionMixer Load(Checkpoint checkpoint, IComputeBackend backend, int layer)
    {
        var config = checkpoint.Config;
        var prefix = $"model.layers.{layer}.self_attn";
        long hidden = config.HiddenSize;
        long kvWidth = (long)config.NumKeyValueHeads * config.HeadDim;
        Linear Projection(string name, long rows, long cols) =>
            new(backend, backend.Prepare(checkpoint.Weight($"{prefix}.{name}.weight", rows, cols)));

        return new AttentionMixer(
            Projection("q_proj", hidden, hidden),
            Projection("k_proj", kvWidth, hidden),
            Projection("v_proj", kvWidth, hidden),
            Projection("o_proj", hidden, hidden),
            config.NumAttentionHeads,
            config.NumKeyValueHeads,
            config.HeadDim);
    }

    public AttentionCache CreateCache() => new(_kvHeads * _headDim);

    /// <summary>Attends T new tokens x [T, hidden] to themselves and to the cached past, writing [T, hidden].</summary>
    public void Forward(ReadOnlySpan<float> x, int T, AttentionCache cache, Span<float> output)
    {
        var hidden = _heads * _headDim;
        var kvWidth = _kvHeads * _headDim;

        var q = new float[T * hidden];
        var k = new float[T * kvWidth];
        var v = new float[T * kvWidth];
        _q.Forward(x, T, q);
        _k.Forward(x, T, k);
        _v.Forward(x, T, v);

        var past = cache.Length;
        cache.Append(k, v, T);
        var keys = cache.Keys;
        var values = cache.Values;

        // Each group of heads / kv_heads query heads shares one key/value head.
        var scale = 1f / MathF.Sqrt(_headDim);
        var groupSize = _heads / _kvHeads;
        var context = new float[T * hidden];
        var scores = new float[past + T];
        for (var t = 0; t < T; t++)
        {
            var visible = past + t + 1;
            for (var head = 0; head < _heads; head++)
            {
                var kvOffset = head / groupSize * _headDim;
                var query = q.AsSpan(t * hidden + head * _headDim, _headDim);
                var probabilities = scores.AsSpan(0, visible);
                for (var s = 0; s < visible; s++)
                {
                    probabilities[s] = TensorPrimitives.Dot(query, keys.Slice(s * kvWidth + kvOffset, _headDim)) * scale;
                }

                TensorPrimitives.SoftMax(probabilities, probabilities);

                var result = context.AsSpan(t * hidden + head * _headDim, _headDim);
                for (var s = 0; s < visible; s++)
                {
                    TensorPrimitives.MultiplyAdd(values.Slice(s * kvWidth + kvOffset, _headDim), probabilities[s], result, result);
                }
            }
        }

        _o.Forward(context, T, output);
    }
}
