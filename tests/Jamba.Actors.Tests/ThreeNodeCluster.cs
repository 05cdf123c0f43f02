using Akka.Actor;
using Akka.Cluster.Sharding;
using Jamba.Actors.Hosting;

namespace Jamba.Actors.Tests;

/// <summary>
/// Three nodes of tiny-moe: layers 0-3 on the first, 4-7 on the second, experts spread over all three
/// by Cluster Sharding, sessions on the first two.
/// </summary>
public static class ThreeNodeCluster
{
    public static string PlacementFile => Path.Combine(AppContext.BaseDirectory, "placement-three-nodes.json");

    public static readonly IReadOnlyList<IReadOnlyList<string>> Roles =
    [
        ["layers-a", "experts", "sessions"],
        ["layers-b", "experts", "sessions"],
        ["experts"],
    ];

    public static async Task<TestCluster> StartAsync(Func<Hosting.ClusterNodeOptions, Hosting.ClusterNodeOptions>? configure = null)
    {
        var cluster = await TestCluster.StartAsync(TestPaths.TinyMoe, Roles, PlacementFile, configure);
        try
        {
            await WaitForExpertsOnEveryNodeAsync(cluster);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public static async Task<int> ExpertShardsAsync(JambaClusterNode node) => (await ExpertShardIdsAsync(node)).Count;

    /// <summary>The expert shards (one expert each) that this node hosts now.</summary>
    public static async Task<IReadOnlyList<string>> ExpertShardIdsAsync(JambaClusterNode node)
    {
        var region = ClusterSharding.Get(node.System).ShardRegion("experts-experts");
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
        return state.Shards.Select(s => s.ShardId).ToList();
    }

    // Shards are first allocated while the last nodes may still be registering with the coordinator.
    // The periodic rebalance then moves some experts to them, and the nodes become ready again.
    private static async Task WaitForExpertsOnEveryNodeAsync(TestCluster cluster)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var counts = await Task.WhenAll(cluster.Nodes.Select(ExpertShardsAsync));
            if (counts.All(c => c > 0))
            {
                await Task.WhenAll(cluster.Nodes.Select(n => n.WhenReadyAsync(timeout.Token)));
                return;
            }

            await Task.Delay(200, timeout.Token);
        }
    }
}

/// <summary>One three-node cluster shared by the tests of a class that leave its membership alone.</summary>
public sealed class ThreeNodeClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ThreeNodeCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
