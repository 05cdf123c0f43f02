using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Jamba.Actors.Hosting;

/// <summary>
/// Allocates a new shard to the region with the fewest shards and never rebalances. Layer groups and
/// sessions keep state in memory that a move would lose, so they stay where they start until their
/// node leaves.
/// </summary>
public sealed class PinnedAllocationStrategy : IShardAllocationStrategy
{
    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId,
        IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        // The requester wins ties, so a single-node cluster and the first shards stay local.
        var fewest = currentShardAllocations
            .OrderBy(region => region.Value.Count)
            .ThenBy(region => region.Key.Equals(requester) ? 0 : 1)
            .Select(region => region.Key)
            .FirstOrDefault();
        return Task.FromResult(fewest ?? requester);
    }

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations,
        IImmutableSet<string> rebalanceInProgress) =>
        Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);
}
