using Akka.Actor;
using Akka.Cluster;
using Jamba.Actors.Experts;
using Jamba.Actors.Placement;
using Jamba.Actors.Wire;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Hosting;

/// <summary>
/// A running cluster node. It probes every layer group and expert of the plan in the background, so
/// <see cref="IInferenceCluster.GetStatus"/> can list what is not placed and loaded yet.
/// </summary>
public sealed class JambaClusterNode : IAsyncDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    private readonly NodeActors _actors;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _memberUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _monitor;
    private volatile IReadOnlyList<string> _unplaced;
    private int _disposed;

    internal JambaClusterNode(ActorSystem system, PlacementPlan plan, NodeActors actors, ClusterNodeOptions options,
        ILoggerFactory loggerFactory)
    {
        System = system;
        Plan = plan;
        _actors = actors;
        _logger = loggerFactory.CreateLogger<JambaClusterNode>();
        _unplaced = Entities().Select(e => e.Name).ToList();
        Inference = new InferenceCluster(system, actors.Sequences, options.AskTimeout, () => _unplaced,
            loggerFactory.CreateLogger<InferenceCluster>());
        Cluster.Get(system).RegisterOnMemberUp(() => _memberUp.TrySetResult());
        _monitor = Task.Run(MonitorAsync);
    }

    public ActorSystem System { get; }

    public IInferenceCluster Inference { get; }

    public PlacementPlan Plan { get; }

    /// <summary>This node's Akka address (akka.tcp://jamba@host:port), the form seed nodes take.</summary>
    public string Address => Cluster.Get(System).SelfAddress.ToString();

    /// <summary>Completes when this node is Up and every layer group and expert of the plan replies that it is loaded.</summary>
    public async Task WhenReadyAsync(CancellationToken cancellationToken)
    {
        await _memberUp.Task.WaitAsync(cancellationToken);
        while (true)
        {
            var unplaced = await ProbeAsync(cancellationToken);
            _unplaced = unplaced;
            if (unplaced.Count == 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    private async Task MonitorAsync()
    {
        try
        {
            await _memberUp.Task.WaitAsync(_stopping.Token);
            while (!_stopping.IsCancellationRequested)
            {
                var unplaced = await ProbeAsync(_stopping.Token);
                if (unplaced.Count > 0 && _unplaced.Count == 0)
                {
                    _logger.LogWarning("Not placed or not loaded: {Entities}", unplaced);
                }

                _unplaced = unplaced;
                await Task.Delay(ProbeInterval, _stopping.Token);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    // Probing an entity through its region also starts it, so the first probe places and loads everything.
    private async Task<IReadOnlyList<string>> ProbeAsync(CancellationToken cancellationToken)
    {
        var probes = Entities().Select(async entity =>
        {
            try
            {
                await entity.Region.Ask<Loaded>(new ProbeLoaded(entity.Id), ProbeTimeout, cancellationToken);
                return null;
            }
            catch (AskTimeoutException)
            {
                return entity.Name;
            }
        });
        var results = await Task.WhenAll(probes);
        return results.OfType<string>().ToList();
    }

    private IEnumerable<(string Name, string Id, IActorRef Region)> Entities()
    {
        foreach (var group in Plan.LayerGroups)
        {
            yield return ($"layers {group.Name}", group.Name, _actors.LayerGroups[group.Name]);
        }

        foreach (var (layer, expert) in Plan.ExpertIds)
        {
            var id = ExpertIds.EntityId(layer, expert);
            yield return ($"expert {id}", id, _actors.ExpertsByLayer[layer]);
        }
    }

    /// <summary>Leaves the cluster gracefully (handing off this node's shards) and stops the actor system.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            await _monitor;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "Placement monitor ended with an error");
        }

        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        await System.WhenTerminated;
        _stopping.Dispose();
    }
}
