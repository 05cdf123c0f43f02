using Jamba.Actors;
using Jamba.Server.Metrics;

namespace Jamba.Server.Cluster;

/// <summary>The cluster as the endpoints reach it: absent until this process's node has started.</summary>
public sealed class ClusterConnection(JambaMetrics metrics)
{
    private IInferenceCluster? _inference;

    /// <summary>The cluster, once this node has started; null before and after.</summary>
    public IInferenceCluster? Inference => Volatile.Read(ref _inference);

    public void Connect(IInferenceCluster inference) => Volatile.Write(ref _inference, inference);

    public void Disconnect() => Volatile.Write(ref _inference, null);

    /// <summary>Returns membership and placement and updates the membership series, or null while the node is starting.</summary>
    public ClusterStatus? GetStatus()
    {
        var status = Inference?.GetStatus();
        if (status is not null)
        {
            metrics.ObserveCluster(status);
        }

        return status;
    }

    /// <summary>Returns the cluster when it is ready to serve, else null.</summary>
    public IInferenceCluster? Ready() => GetStatus() is { Ready: true } ? Inference : null;
}
