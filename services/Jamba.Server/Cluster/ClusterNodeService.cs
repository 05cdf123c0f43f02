using Akka.Actor;
using Jamba.Actors.Hosting;
using Jamba.Server.Configuration;

namespace Jamba.Server.Cluster;

/// <summary>
/// Runs this process's cluster node. The node starts in the background so /health responds while the
/// model loads and the cluster forms. A node that fails to start stops the service with exit code 1.
/// </summary>
public sealed class ClusterNodeService(
    ServerOptions options,
    ClusterNodeOptions nodeOptions,
    ActorSystem system,
    ClusterConnection connection,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime,
    ILogger<ClusterNodeService> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private JambaClusterNode? _node;
    private Task _running = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _running = RunAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await DisposeNodeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeNodeAsync();
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Kestrel starts listening only after every hosted service's StartAsync returns; yielding first keeps /health up while the node starts.
            await Task.Yield();
            logger.LogInformation(
                "Starting cluster node at {Hostname}:{Port} with roles {Roles}, seed nodes {SeedNodes}, model {Model}",
                options.AkkaHostname, options.AkkaPort, string.Join(",", options.Roles),
                options.SeedNodes.Count == 0 ? "(self)" : string.Join(",", options.SeedNodes), options.ModelDirectory);

            var node = JambaClusterHost.Attach(system, nodeOptions, loggerFactory);
            Volatile.Write(ref _node, node);
            connection.Connect(node.Inference);

            await node.WhenReadyAsync(cancellationToken);
            logger.LogInformation("Cluster node {Address} ready: every layer group and expert is placed and loaded", node.Address);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Cluster node start cancelled by shutdown");
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "Cluster node failed to start; stopping the service");
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task DisposeNodeAsync()
    {
        connection.Disconnect();
        var node = Interlocked.Exchange(ref _node, null);
        if (node is not null)
        {
            logger.LogInformation("Leaving the cluster and stopping node {Address}", node.Address);
            await node.DisposeAsync();
        }
    }
}
