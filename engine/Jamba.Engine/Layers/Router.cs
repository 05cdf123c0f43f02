using Jamba.Kernels;

namespace Jamba.Engine.Layers;

/// <summary>
/// The MoE router: logits over all experts, a softmax in F32, then the top-k experts of each token.
/// Jamba keeps the k softmax weights as they are; it does not renormalise them to sum to one.
/// </summary>
public sealed class Router(Linear gate, int topK)
{
    public int NumExperts => gate.OutFeatures;

    public int TopK => topK;

    public Routing Route(ReadOnlySpan<float> x, int n)
    {
        var experts = NumExperts;
        var probabilities = new float[n * experts];
        gate.Forward(x, n, probabilities);

        var chosen = new int[n * topK];
        var weights = new float[n * topK];
        for (var t = 0; t < n; t++)
        {
            var row = probabilities.AsSpan(t * experts, experts);
            Ops.Softmax(row);
            SelectTopK(row, chosen.AsSpan(t * topK, topK), weights.AsSpan(t * topK, topK));
        }

        return new Routing(n, topK, chosen, weights);
    }

    // Ties go to the lower expert index, so the choice is deterministic.
    private static void SelectTopK(ReadOnlySpan<float> probabilities, Span<int> experts, Span<float> weights)
    {
        for (var k = 0; k < experts.Length; k++)
        {
            var best = -1;
            for (var e = 0; e < probabilities.Length; e++)
            {
                if (experts[..k].Contains(e))
                {
                    continue;
                }

                if (best < 0 || probabilities[e] > probabilities[best])
                {
                    best = e;
                }
            }

            experts[k] = best;
            weights[k] = probabilities[best];
        }
    }
}
