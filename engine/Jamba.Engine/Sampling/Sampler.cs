using System.Numerics.Tensors;

namespace Jamba.Engine.Sampling;

/// <summary>Draws tokens from logits under one <see cref="SamplingOptions"/>; one instance per sequence.</summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;

    public Sampler(SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _random = options.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
    }

    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_options.Temperature == 0)
        {
            return TensorPrimitives.IndexOfMax(logits);
        }

        // Candidates sorted by logit, best first; ties keep the lower id first so a seed replays exactly.
        var values = logits.ToArray();
        var order = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(order, (a, b) => values[b] != values[a] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        var keys = order.Select(i => values[i]).ToArray();
        var count = _options.TopK > 0 ? Math.Min(_options.TopK, order.Length) : order.Length;

        // The max logit (keys[0]) is subtracted first, because TensorPrimitives.SoftMax does not subtract it.
        // Otherwise a logit over temperature above about 88 overflows exp, and the probabilities become NaN.
        // With the shift, a tiny temperature sends every other token to -infinity.
        var probabilities = new float[count];
        for (var i = 0; i < count; i++)
        {
            probabilities[i] = (keys[i] - keys[0]) / _options.Temperature;
        }

        TensorPrimitives.SoftMax(probabilities, probabilities);

        if (_options.TopP < 1f)
        {
            var cumulative = 0f;
            var kept = 0;
            while (kept < count)
            {
                cumulative += probabilities[kept++];
                if (cumulative >= _options.TopP)
                {
                    break;
                }
            }

            count = kept;
        }

        var total = TensorPrimitives.Sum(probabilities.AsSpan(0, count));
        var draw = _random.NextSingle() * total;
        for (var i = 0; i < count; i++)
        {
            draw -= probabilities[i];
            if (draw < 0)
            {
                return order[i];
            }
        }

        return order[count - 1];
    }

    /// <summary>log-softmax of the logits: the log-probabilities reported to clients.</summary>
    public static float[] LogSoftmax(ReadOnlySpan<float> logits)
    {
        var max = TensorPrimitives.Max(logits);
        var result = new float[logits.Length];
        TensorPrimitives.Subtract(logits, max, result);
        var logSum = MathF.Log(TensorPrimitives.SumOfMagnitudes(Exp(result)));
        TensorPrimitives.Subtract(result, logSum, result);
        return result;
    }

    private static float[] Exp(ReadOnlySpan<float> values)
    {
        var result = new float[values.Length];
        TensorPrimitives.Exp(values, result);
        return result;
    }
}
