namespace Jamba.Engine.Layers;

/// <summary>The feed-forward half of a decoder layer, applied row by row to [n, hidden].</summary>
public interface IFeedForward
{
    void Forward(ReadOnlySpan<float> x, int n, Span<float> y, RoutingTrace? trace = null);
}
