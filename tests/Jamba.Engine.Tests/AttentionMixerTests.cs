using Jamba.Engine.Layers;
using Jamba.Kernels;

namespace Jamba.Engine.Tests;

public class AttentionMixerTests
{
    // Eight query heads on two KV heads: the grouped path that reads each KV head once for four heads.
    [Theory]
    [InlineData(8, 2, 16)]
    [InlineData(8, 4, 16)]
    [InlineData(4, 1, 8)]
    public void Grouped_query_attention_matches_reference(int heads, int kvHeads, int headDim)
    {
        var hidden = heads * headDim;
        var kvWidth = kvHeads * headDim;
        var random = new Random(heads * 100 + kvHeads);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var (wq, wk, wv, wo) = (Values(hidden * hidden), Values(kvWidth * hidden), Values(kvWidth * hidden), Values(hidden * hidden));
        var mixer = AttentionMixer.Create(CpuBackend.Instance, HostWeight.FromArray(wq, hidden, hidden),
            HostWeight.FromArray(wk, kvWidth, hidden), HostWeight.FromArray(wv, kvWidth, hidden), HostWeight.FromArray(wo, hidden, hidden),
            heads, kvHeads);
        const int T = 6;
        var x = Values(T * hidden);

        var output = new float[T * hidden];
        mixer.Forward(x, T, mixer.CreateCache(), output);

        var expected = Reference(x, T, wq, wk, wv, wo, heads, kvHeads, headDim);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], output[i], 1e-4f);
        }
    }

    // Plain causal attention, one head and one position at a time, in double precision.
    private static float[] Reference(float[] x, int T, float[] wq, float[] wk, float[] wv, float[] wo, int heads, int kvHeads, int headDim)
    {
        var hidden = heads * headDim;
        var kvWidth = kvHeads * headDim;
        double[] Project(float[] w, int rows, int t) =>
            Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, hidden).Sum(c => (double)w[r * hidden + c] * x[t * hidden + c])).ToArray();
        var q = Enumerable.Range(0, T).Select(t => Project(wq, hidden, t)).ToArray();
        var k = Enumerable.Range(0, T).Select(t => Project(wk, kvWidth, t)).ToArray();
        var v = Enumerable.Range(0, T).Select(t => Project(wv, kvWidth, t)).ToArray();

        var output = new float[T * hidden];
        for (var t = 0; t < T; t++)
        {
            var context = new double[hidden];
            for (var h = 0; h < heads; h++)
            {
                var g = h / (heads / kvHeads);
                var scores = Enumerable.Range(0, t + 1)
                    .Select(p => Enumerable.Range(0, headDim).Sum(i => q[t][h * headDim + i] * k[p][g * headDim + i]) / Math.Sqrt(headDim))
                    .ToArray();
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var i = 0; i < headDim; i++)
                {
                    context[h * headDim + i] = Enumerable.Range(0, t + 1).Sum(p => weights[p] / total * v[p][g * headDim + i]);
                }
            }

            for (var r = 0; r < hidden; r++)
            {
                output[t * hidden + r] = (float)Enumerable.Range(0, hidden).Sum(c => wo[r * hidden + c] * context[c]);
            }
        }

        return output;
    }
}
