namespace Jamba.Actors.Hosting;

/// <summary>
/// Observations the actors report while they work. The service maps them onto Prometheus metrics,
/// which keeps the actors free of any metrics library.
/// </summary>
public interface IClusterMetrics
{
    /// <summary>Token rows the router sent to one expert of one MoE layer in one step.</summary>
    void ExpertTokens(int layer, int expert, int tokens);

    /// <summary>Time a layer group (named by its layer range, e.g. "0-3") spent on one batch.</summary>
    void LayerGroupTime(string group, TimeSpan elapsed);

    void Sequences(int running, int queued);

    void Sessions(int active, int pinned, long stateBytes);
}

public sealed class NullClusterMetrics : IClusterMetrics
{
    public static NullClusterMetrics Instance { get; } = new();

    public void ExpertTokens(int layer, int expert, int tokens)
    {
    }

    public void LayerGroupTime(string group, TimeSpan elapsed)
    {
    }

    public void Sequences(int running, int queued)
    {
    }

    public void Sessions(int active, int pinned, long stateBytes)
    {
    }
}
