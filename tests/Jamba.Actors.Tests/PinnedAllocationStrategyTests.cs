using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Jamba.Actors.Hosting;

namespace Jamba.Actors.Tests;

public sealed class PinnedAllocationStrategyTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("allocation", ConfigurationFactory.ParseString("akka.loglevel = OFF"));

    [Fact]
    public async Task New_shard_goes_to_fewest()
    {
        var (busy, idle) = (Region("busy"), Region("idle"));
        var allocations = Allocations((busy, ["a", "b"]), (idle, ["c"]));

        var chosen = await new PinnedAllocationStrategy().AllocateShard(busy, "d", allocations);

        Assert.Equal(idle, chosen);
    }

    [Fact]
    public async Task Tie_goes_to_requester()
    {
        var (first, second) = (Region("first"), Region("second"));
        var allocations = Allocations((first, []), (second, []));

        var chosen = await new PinnedAllocationStrategy().AllocateShard(second, "a", allocations);

        Assert.Equal(second, chosen);
    }

    [Fact]
    public async Task Uneven_shards_stay_put()
    {
        var (full, empty) = (Region("full"), Region("empty"));
        var allocations = Allocations((full, ["a", "b", "c", "d"]), (empty, []));

        var moved = await new PinnedAllocationStrategy().Rebalance(allocations, ImmutableHashSet<string>.Empty);

        Assert.Empty(moved);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private IActorRef Region(string name) => _system.ActorOf(Props.Empty, name);

    private static IImmutableDictionary<IActorRef, IImmutableList<string>> Allocations(params (IActorRef Region, string[] Shards)[] regions) =>
        regions.ToImmutableDictionary(r => r.Region, r => (IImmutableList<string>)r.Shards.ToImmutableList());
}
