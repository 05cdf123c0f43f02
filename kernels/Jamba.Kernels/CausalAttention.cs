using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Kernels;

/// <summary>
/// Scaled dot-product attention of one query head over the first <c>visible</c> positions of a KV
/// cache laid out [position, kv_width]: softmax(q·Kᵀ · scale) · V in F32.
/// </summary>
public static class CausalAttention
{
    /// <param name="query">The query head [head_dim].</param>
    /// <param name="keys">Cached keys [positions, kvWidth].</param>
    /// <param name="values">Cached values [positions, kvWidth].</param>
    /// <param name="kvWidth">num_key_value_heads * head_dim.</param>
    /// <param name="kvOffset">Offset of this query head's key/value head inside a cache row.</param>
    /// <param name="visible">Positions this query may attend to (causal mask).</param>
    /// <param name="scores">Scratch space of at least <paramref name="visible"/> floats.</param>
    /// <param name="output">The attended head [head_dim].</param>
    public static void Head(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int kvWidth, int kvOffset, int visible, float scale, Span<float> scores, Span<float> output)
    {
        var headDim = query.Length;
        var probabilities = scores[..visible];
        if (Vector256.IsHardwareAccelerated && headDim % Vector256<float>.Count == 0)
        {
            ScoresVector(query, keys, kvWidth, kvOffset, probabilities);
        }
        else
        {
            ScoresScalar(query, keys, kvWidth, kvOffset, probabilities);
        }

        TensorPrimitives.Multiply(probabilities, scale, probabilities);
        Ops.Softmax(probabilities);

        if (Vector256.IsHardwareAccelerated && headDim % Vector256<float>.Count == 0)
        {
            WeightedSumVector(probabilities, values, kvWidth, kvOffset, output);
        }
        else
        {
            WeightedSumScalar(probabilities, values, kvWidth, kvOffset, output);
        }
    }

    /// <summary>
    /// Attention of four query heads that share one key/value head (grouped-query attention with four
    /// heads per KV head, as in Jamba's published shapes). Each cached key and value row is read once
    /// for all four, instead of once per head. Gives the same results as <see cref="Head"/> per head,
    /// up to the order of additions.
    /// </summary>
    /// <param name="queries">The four query heads, contiguous [4, head_dim].</param>
    /// <param name="scores">Scratch space of at least 4 * <paramref name="visible"/> floats.</param>
    /// <param name="outputs">The four attended heads, contiguous [4, head_dim].</param>
    public static void GroupOfFour(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int kvWidth, int kvOffset, int visible, float scale, Span<float> scores, Span<float> outputs)
    {
        var headDim = queries.Length / 4;
        if (!Vector256.IsHardwareAccelerated || headDim % 16 != 0)
        {
            for (var h = 0; h < 4; h++)
            {
                Head(queries.Slice(h * headDim, headDim), keys, values, kvWidth, kvOffset, visible, scale,
                    scores.Slice(h * visible, visible), outputs.Slice(h * headDim, headDim));
            }

            return;
        }

        GroupScores(queries, keys, kvWidth, kvOffset, visible, headDim, scores);
        for (var h = 0; h < 4; h++)
        {
            var probabilities = scores.Slice(h * visible, visible);
            TensorPrimitives.Multiply(probabilities, scale, probabilities);
            Ops.Softmax(probabilities);
        }

        GroupWeightedSum(scores, values, kvWidth, kvOffset, visible, headDim, outputs);
    }

    // scores[h, p] = q_h · K[p] for the four heads, loading each key vector once.
    private static void GroupScores(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, int kvWidth, int kvOffset,
        int visible, int headDim, Span<float> scores)
    {
        ref var q = ref MemoryMarshal.GetReference(queries);
        ref var k = ref MemoryMarshal.GetReference(keys);
        for (var position = 0; position < visible; position++)
        {
            var row = (nuint)(position * kvWidth + kvOffset);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (var i = 0; i < headDim; i += Vector256<float>.Count)
            {
                var key = Vector256.LoadUnsafe(ref k, row + (nuint)i);
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)i), key, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)(headDim + i)), key, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)(2 * headDim + i)), key, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)(3 * headDim + i)), key, s3);
            }

            scores[position] = Vector256.Sum(s0);
            scores[visible + position] = Vector256.Sum(s1);
            scores[2 * visible + position] = Vector256.Sum(s2);
            scores[3 * visible + position] = Vector256.Sum(s3);
        }
    }

    // outputs[h] = Σ_p probability[h, p] · V[p], in passes of 16 lanes that read one cache line of
    // every value row for all four heads.
    private static void GroupWeightedSum(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> values, int kvWidth, int kvOffset,
        int visible, int headDim, Span<float> outputs)
    {
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var o = ref MemoryMarshal.GetReference(outputs);
        for (var i = 0; i < headDim; i += 16)
        {
            Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default;
            Vector256<float> a2 = default, b2 = default, a3 = default, b3 = default;
            for (var position = 0; position < visible; position++)
            {
                var row = (nuint)(position * kvWidth + kvOffset + i);
                var low = Vector256.LoadUnsafe(ref v, row);
                var high = Vector256.LoadUnsafe(ref v, row + 8);
                var w0 = Vector256.Create(probabilities[position]);
                var w1 = Vector256.Create(probabilities[visible + position]);
                var w2 = Vector256.Create(probabilities[2 * visible + position]);
                var w3 = Vector256.Create(probabilities[3 * visible + position]);
                a0 = Vector256.FusedMultiplyAdd(w0, low, a0);
                b0 = Vector256.FusedMultiplyAdd(w0, high, b0);
                a1 = Vector256.FusedMultiplyAdd(w1, low, a1);
                b1 = Vector256.FusedMultiplyAdd(w1, high, b1);
                a2 = Vector256.FusedMultiplyAdd(w2, low, a2);
                b2 = Vector256.FusedMultiplyAdd(w2, high, b2);
                a3 = Vector256.FusedMultiplyAdd(w3, low, a3);
                b3 = Vector256.FusedMultiplyAdd(w3, high, b3);
            }

            a0.StoreUnsafe(ref o, (nuint)i);
            b0.StoreUnsafe(ref o, (nuint)(i + 8));
            a1.StoreUnsafe(ref o, (nuint)(headDim + i));
            b1.StoreUnsafe(ref o, (nuint)(headDim + i + 8));
            a2.StoreUnsafe(ref o, (nuint)(2 * headDim + i));
            b2.StoreUnsafe(ref o, (nuint)(2 * headDim + i + 8));
            a3.StoreUnsafe(ref o, (nuint)(3 * headDim + i));
            b3.StoreUnsafe(ref o, (nuint)(3 * headDim + i + 8));
        }
    }

    private static void ScoresVector(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int kvWidth, int kvOffset, Span<float> scores)
    {
        var headDim = query.Length;
        ref var q = ref MemoryMarshal.GetReference(query);
        ref var k = ref MemoryMarshal.GetReference(keys);
        for (var position = 0; position < scores.Length; position++)
        {
            var row = (nuint)(position * kvWidth + kvOffset);
            var sum = Vector256<float>.Zero;
            for (var i = 0; i < headDim; i += Vector256<float>.Count)
            {
                sum = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.LoadUnsafe(ref k, row + (nuint)i), sum);
            }

            scores[position] = Vector256.Sum(sum);
        }
    }

    public static void ScoresScalar(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int kvWidth, int kvOffset, Span<float> scores)
    {
        for (var position = 0; position < scores.Length; position++)
        {
            var key = keys.Slice(position * kvWidth + kvOffset, query.Length);
            var sum = 0f;
            for (var i = 0; i < query.Length; i++)
            {
                sum += query[i] * key[i];
            }

            scores[position] = sum;
        }
    }

    // Σ_p probability[p] · V[p] in passes of 32 lanes over the positions: each pass keeps four
    // accumulators in registers and reads two whole cache lines of every cached value row, instead of
    // striding across all rows once per 8 lanes.
    private static void WeightedSumVector(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> values, int kvWidth, int kvOffset, Span<float> output)
    {
        var headDim = output.Length;
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var o = ref MemoryMarshal.GetReference(output);
        var i = 0;
        for (; i + 4 * Vector256<float>.Count <= headDim; i += 4 * Vector256<float>.Count)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (var position = 0; position < probabilities.Length; position++)
            {
                var weight = Vector256.Create(probabilities[position]);
                var row = (nuint)(position * kvWidth + kvOffset + i);
                s0 = Vector256.FusedMultiplyAdd(weight, Vector256.LoadUnsafe(ref v, row), s0);
                s1 = Vector256.FusedMultiplyAdd(weight, Vector256.LoadUnsafe(ref v, row + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(weight, Vector256.LoadUnsafe(ref v, row + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(weight, Vector256.LoadUnsafe(ref v, row + 24), s3);
            }

            s0.StoreUnsafe(ref o, (nuint)i);
            s1.StoreUnsafe(ref o, (nuint)(i + 8));
            s2.StoreUnsafe(ref o, (nuint)(i + 16));
            s3.StoreUnsafe(ref o, (nuint)(i + 24));
        }

        for (; i < headDim; i += Vector256<float>.Count)
        {
            var sum = Vector256<float>.Zero;
            for (var position = 0; position < probabilities.Length; position++)
            {
                var value = Vector256.LoadUnsafe(ref v, (nuint)(position * kvWidth + kvOffset + i));
                sum = Vector256.FusedMultiplyAdd(Vector256.Create(probabilities[position]), value, sum);
            }

            sum.StoreUnsafe(ref o, (nuint)i);
        }
    }

    public static void WeightedSumScalar(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> values, int kvWidth, int kvOffset, Span<float> output)
    {
        output.Clear();
        for (var position = 0; position < probabilities.Length; position++)
        {
            var value = values.Slice(position * kvWidth + kvOffset, output.Length);
            for (var i = 0; i < output.Length; i++)
            {
                output[i] += probabilities[position] * value[i];
            }
        }
    }
}
