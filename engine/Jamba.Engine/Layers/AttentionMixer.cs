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

    /// <summary>Builds a layer from prepared projections q [hidden, hidden], k and v [kv_heads * head_dim, hidden], o [hidden, hidden].</summary>
    public static AttentionMixer Create(IComputeBackend backend, Weight q, Weight k, Weight v, Weight o, int heads, int kvHeads)
    {
        var headDim = q.Rows / heads;
        return new AttentionMixer(new Linear(backend, q), new Linear(backend, k), new Linear(backend, v), new Linear(backend, o),
            heads, kvHeads, headDim);
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

    /// <summary>num_key_value_heads * head_dim: the width of one token's keys (and values).</summary>
    public int KvWidth => _kvHeads * _headDim;

    public AttentionCache CreateCache() => new(_kvHeads * _headDim);

    /// <summary>Attends T new tokens x [T, hidden] to themselves and to the cached past, writing [T, hidden].</summary>
    public void Forward(ReadOnlySpan<float> x, int T, AttentionCache cache, Span<float> output) =>
        Forward(x, Segment.Single(T), [cache], output);

    /// <summary>Attends a batch of sequences: projections over all rows, attention per segment on its own KV cache.</summary>
    public void Forward(ReadOnlySpan<float> x, IReadOnlyList<Segment> segments, IReadOnlyList<AttentionCache> caches, Span<float> output)
    {
        var hidden = _heads * _headDim;
        var kvWidth = _kvHeads * _headDim;
        var n = Segment.TotalRows(segments);

        var q = new float[n * hidden];
        var k = new float[n * kvWidth];
        var v = new float[n * kvWidth];
        _q.Forward(x, n, q);
        _k.Forward(x, n, k);
        _v.Forward(x, n, v);

        var context = new float[n * hidden];
        for (var s = 0; s < segments.Count; s++)
        {
            var (start, count) = segments[s];
            caches[s].Append(k.AsSpan(start * kvWidth, count * kvWidth), v.AsSpan(start * kvWidth, count * kvWidth), count);
            Attend(q.AsSpan(start * hidden, count * hidden), count, caches[s], context.AsSpan(start * hidden, count * hidden));
        }

        _o.Forward(context, n, output);
    }

    // Token t of this call attends to the cached past and to the new tokens up to itself. A group of
    // heads / kv_heads query heads shares one key/value head. Heads are independent, so a long
    // context spreads them over the cores.
    private void Attend(ReadOnlySpan<float> q, int T, AttentionCache cache, Span<float> context)
    {
        var hidden = _heads * _headDim;
        var past = cache.Length - T;

        // With four query heads per KV head, one work item attends a whole group and reads its KV once.
        var grouped = _heads == 4 * _kvHeads;
        var headsPerItem = grouped ? 4 : 1;
        var items = T * _heads / headsPerItem;
        var scoresLength = headsPerItem * (past + T);
        var work = (long)T * _heads * (past + T) * _headDim;
        if (work < ParallelThreshold || Parallelism.Threads == 1)
        {
            var scores = new float[scoresLength];
            for (var item = 0; item < items; item++)
            {
                AttendItem(q, cache, past, item, headsPerItem, scores, context);
            }

            return;
        }

        var queries = q.ToArray();
        var outputs = new float[T * hidden];
        Parallel.For(0, items, Parallelism.Options, () => new float[scoresLength], (item, _, scores) =>
        {
            AttendItem(queries, cache, past, item, headsPerItem, scores, outputs);
            return scores;
        }, _ => { });
        outputs.CopyTo(context);
    }

    // Item i covers heads [first, first + headsPerItem) of token t; they are contiguous in q and context.
    private void AttendItem(ReadOnlySpan<float> q, AttentionCache cache, int past, int item, int headsPerItem, float[] scores,
        Span<float> context)
    {
        var hidden = _heads * _headDim;
        var itemsPerToken = _heads / headsPerItem;
        var t = item / itemsPerToken;
        var head = item % itemsPerToken * headsPerItem;
        var groupSize = _heads / _kvHeads;
        var offset = t * hidden + head * _headDim;
        var width = headsPerItem * _headDim;
        var kvOffset = head / groupSize * _headDim;
        var visible = past + t + 1;
        var scale = 1f / MathF.Sqrt(_headDim);
        if (headsPerItem == 4)
        {
            CausalAttention.GroupOfFour(q.Slice(offset, width), cache.Keys, cache.Values, KvWidth, kvOffset, visible, scale,
                scores, context.Slice(offset, width));
        }
        else
        {
            CausalAttention.Head(q.Slice(offset, width), cache.Keys, cache.Values, KvWidth, kvOffset, visible, scale,
                scores, context.Slice(offset, width));
        }
    }

    private const long ParallelThreshold = 1 << 16;
}
