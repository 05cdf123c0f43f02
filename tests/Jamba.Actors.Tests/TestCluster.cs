using Jamba.Actors.Hosting;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Tests;

/// <summary>
/// Cluster nodes in this test process, joined over Akka.Remote on 127.0.0.1 ports picked by the OS.
/// The first node is the seed; the others join it, and no node is Up until all have joined.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private TestCluster(List<JambaClusterNode> nodes) => Nodes = nodes;

    public List<JambaClusterNode> Nodes { get; }

    public IInferenceCluster Inference => Nodes[0].Inference;

    public static async Task<TestCluster> StartAsync(string modelDirectory, IReadOnlyList<IReadOnlyList<string>> roles,
        string? placementFile = null, Func<ClusterNodeOptions, ClusterNodeOptions>? configure = null)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var nodes = new List<JambaClusterNode>();
        try
        {
            foreach (var nodeRoles in roles)
            {
                var options = new ClusterNodeOptions
                {
                    ModelDirectory = modelDirectory,
                    Hostname = "127.0.0.1",
                    Port = 0,
                    Roles = nodeRoles,
                    SeedNodes = nodes.Count == 0 ? [] : [nodes[0].Address],
                    PlacementFile = placementFile,
                    AkkaConfig = FastClusterConfig(roles.Count),
                };
                nodes.Add(await JambaClusterHost.StartAsync(configure?.Invoke(options) ?? options, Logging, timeout.Token));
            }

            await Task.WhenAll(nodes.Select(n => n.WhenReadyAsync(timeout.Token)));
            return new TestCluster(nodes);
        }
        catch
        {
            await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
            throw;
        }
    }

    /// <summary>Logs at Warning and above to the console when JAMBA_TEST_LOG is set, and nowhere otherwise.</summary>
    public static ILoggerFactory Logging { get; } = LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("JAMBA_TEST_LOG") is { Length: > 0 })
        {
            builder.AddSimpleConsole(options => options.SingleLine = true);
        }
    });

    public async ValueTask DisposeAsync()
    {
        // Later nodes leave first so the seed, which hosts the sharding coordinators, goes last.
        for (var i = Nodes.Count - 1; i >= 0; i--)
        {
            await Nodes[i].DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    // Gossip and leader actions on a short interval form a loopback cluster in about a second.
    private static string FastClusterConfig(int members) => $$"""
        akka.cluster {
          min-nr-of-members = {{members}}
          gossip-interval = 200ms
          leader-actions-interval = 200ms
          periodic-tasks-initial-delay = 100ms
          seed-node-timeout = 2s
          retry-unsuccessful-join-after = 1s
          sharding.retry-interval = 200ms
          sharding.handoff-timeout = 10s
          sharding.rebalance-interval = 500ms
          split-brain-resolver.stable-after = 2s
        }
        akka.coordinated-shutdown.phases {
          cluster-sharding-shutdown-region.timeout = 2s
          cluster-leave.timeout = 2s
          cluster-exiting.timeout = 2s
        }
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        # Terminating a system without CoordinatedShutdown is how a test crashes a node.
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """;
}
