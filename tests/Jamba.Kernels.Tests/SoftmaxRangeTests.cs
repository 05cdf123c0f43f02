using Jamba.Kernels;

namespace Jamba.Kernels.Tests;

/// <summary>Softmax inputs above about 88, where exp leaves the float range, still give finite probabilities.</summary>
public class SoftmaxRangeTests
{
    [Fact]
    public void Softmax_of_large_logits_is_finite()
    {
        float[] x = [1000f, 1000f - MathF.Log(3f), -1000f];

        Ops.Softmax(x);

        Assert.Equal(0.75f, x[0], 1e-5f);
        Assert.Equal(0.25f, x[1], 1e-5f);
        Assert.Equal(0f, x[2]);
    }

    [Fact]
    public void Attention_over_large_scores_is_finite()
    {
        const int HeadDim = 8;
        var query = Enumerable.Repeat(10f, HeadDim).ToArray();

        // Position 1's key scores 10 * 10 * 8 = 800 against the query, position 0's scores 0.
        var keys = new float[2 * HeadDim];
        Array.Fill(keys, 10f, HeadDim, HeadDim);
        var values = new float[2 * HeadDim];
        Array.Fill(values, 1f, 0, HeadDim);
        Array.Fill(values, 2f, HeadDim, HeadDim);
        var scores = new float[2];
        var output = new float[HeadDim];

        CausalAttention.Head(query, keys, values, HeadDim, kvOffset: 0, visible: 2, scale: 1f, scores, output);

        Assert.All(output, value => Assert.Equal(2f, value, 1e-5f));
    }
}
