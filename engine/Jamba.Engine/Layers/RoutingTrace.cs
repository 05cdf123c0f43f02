namespace Jamba.Engine.Layers;

/// <summary>The router's top-k choice for each token of one call, per MoE layer; filled when a caller asks for it.</summary>
public sealed class RoutingTrace
{
    private readonly Dictionary<int, Routing> _layers = new();

    public IReadOnlyDictionary<int, Routing> Layers => _layers;

    internal int CurrentLayer { get; set; }

    internal void Record(Routing routing) => _layers[CurrentLayer] = routing;
}

/// <summary>Top-k experts [n, k] and their softmax weights [n, k], best first, not renormalised.</summary>
public sealed record Routing(int Rows, int TopK, int[] Experts, float[] Weights)
{
    /// <summary>The rows routed to <paramref name="expert"/> and the weight each gives it.</summary>
    public (int[] Rows, float[] Weights) RowsOf(int expert)
    {
        var rows = new List<int>();
        var weights = new List<float>();
        for (var i = 0; i < Experts.Length; i++)
        {
            if (Experts[i] == expert)
            {
                rows.Add(i / TopK);
                weights.Add(Weights[i]);
            }
        }

        return (rows.ToArray(), weights.ToArray());
    }
}
