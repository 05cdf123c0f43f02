using Akka.Cluster.Sharding;
using Jamba.Actors.Experts;
using Jamba.Actors.Sequences;
using Jamba.Actors.Wire;

namespace Jamba.Actors.Hosting;

/// <summary>Sessions hash into a fixed number of shards, which Cluster Sharding spreads over the session nodes.</summary>
internal sealed class SequenceExtractor() : HashCodeMessageExtractor(MaxShards)
{
    private const int MaxShards = 100;

    public override string? EntityId(object message) => (message as ISequenceMessage)?.SessionId;
}

/// <summary>Each expert ("layer/expert") is its own shard, so the allocation strategy can spread experts one by one.</summary>
internal sealed class ExpertExtractor : IMessageExtractor
{
    public string? EntityId(object message) => message switch
    {
        ApplyExpert apply => apply.EntityId,
        ProbeLoaded probe => probe.EntityId,
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message);

    public string ShardId(string entityId, object? messageHint = null) => entityId;
}

/// <summary>A layer-group region contains exactly one entity, named by the group's layer range.</summary>
internal sealed class LayerGroupExtractor(string group) : IMessageExtractor
{
    public string? EntityId(object message) => message is IWireMessage ? group : null;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message);

    public string ShardId(string entityId, object? messageHint = null) => entityId;
}
