using Jamba.Engine.Loading;
using Jamba.Kernels;

namespace Jamba.Engine.Layers;

/// <summary>
/// A sparse mixture of experts: each token goes to its top-k experts and the outputs are summed with
/// the router's weights. Each expert sees only the rows routed to it, in one batch.
/// </summary>
public sealed class MoeBlock : IFeedForward
{
    private readonly DenseMlp?[] _experts;

    public MoeBlock(Router router, DenseMlp?[] experts)
    {
        Router = router;
        _experts = experts;
    }

    public Router Router { get; }

    public IReadOnlyList<DenseMlp?> Experts => _experts;

    public static MoeBlock Load(Checkpoint checkpoint, IComputeBackend backend, int layer, Func<int, bool> loadExpert)
    {
        var config = checkpoint.Config;
        var prefix = $"model.layers.{layer}.feed_forward";
        var gate = new Linear(backend, backend.Prepare(
            checkpoint.Weight($"{prefix}.router.weight", config.NumExperts, config.HiddenSize), exact: true));
        var experts = new DenseMlp?[config.NumExperts];
        for (var e = 0; e < experts.Length; e++)
        {
            experts[e] = loadExpert(e) ? DenseMlp.Load(checkpoint, backend, $"{prefix}.experts.{e}") : null;
        }

        return new MoeBlock(new Router(gate, config.NumExpertsPerTok), experts);
    }

    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y, RoutingTrace? trace = null)
    {
        var hidden = x.Length / n;
        var routing = Router.Route(x, n);
        trace?.Record(routing);

        y[..(n * hidden)].Clear();
        for (var e = 0; e < _experts.Length; e++)
        {
            var (rows, weights) = routing.RowsOf(e);
            if (rows.Length == 0)
            {
                continue;
            }

            var expert = _experts[e]
                ?? throw new InvalidOperationException($"expert {e} is routed to but not loaded on this node");
            var output = ApplyExpert(expert, x, hidden, rows);
            Accumulate(output, rows, weights, hidden, y);
        }
    }

    /// <summary>Runs one expert on the gathered rows <paramref name="rows"/> of x.</summary>
    public static float[] ApplyExpert(DenseMlp expert, ReadOnlySpan<float> x, int hidden, int[] rows)
    {
        var gathered = new float[rows.Length * hidden];
        for (var i = 0; i < rows.Length; i++)
        {
            x.Slice(rows[i] * hidden, hidden).CopyTo(gathered.AsSpan(i * hidden));
        }

        var output = new float[rows.Length * hidden];
        expert.Forward(gathered, rows.Length, output);
        return output;
    }

    /// <summary>y[rows[i]] += weights[i] * output[i].</summary>
    public static void Accumulate(ReadOnlySpan<float> output, int[] rows, float[] weights, int hidden, Span<float> y)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            var target = y.Slice(rows[i] * hidden, hidden);
            var source = output.Slice(i * hidden, hidden);
            for (var j = 0; j < hidden; j++)
            {
                target[j] += weights[i] * source[j];
            }
        }
    }
}
