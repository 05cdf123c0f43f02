using Akka.Actor;
using Akka.Cluster.Sharding;
using Jamba.Actors.Batching;
using Jamba.Actors.Experts;
using Jamba.Actors.LayerGroups;
using Jamba.Actors.Placement;
using Jamba.Actors.Sequences;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Hosting;

/// <summary>
/// The shard regions a node starts from the plan: a full region for every role it has, a proxy for
/// the others, so that every node can reach every layer group, expert and session.
/// </summary>
internal sealed class NodeActors
{
    private NodeActors(IReadOnlyDictionary<string, IActorRef> layerGroups, IReadOnlyDictionary<int, IActorRef> expertsByLayer,
        IActorRef sequences)
    {
        LayerGroups = layerGroups;
        ExpertsByLayer = expertsByLayer;
        Sequences = sequences;
    }

    /// <summary>Layer-group regions by group name.</summary>
    public IReadOnlyDictionary<string, IActorRef> LayerGroups { get; }

    /// <summary>Expert regions by MoE layer. Experts are stateless, so the default strategy may rebalance them.</summary>
    public IReadOnlyDictionary<int, IActorRef> ExpertsByLayer { get; }

    public IActorRef Sequences { get; }

    public static NodeActors Start(ActorSystem system, PlacementPlan plan, ClusterNodeOptions options, ILoggerFactory loggerFactory)
    {
        var sharding = ClusterSharding.Get(system);
        var roles = options.Roles.ToHashSet();
        var modelDirectory = Path.GetFullPath(options.ModelDirectory);

        IActorRef Region(string typeName, string role, Func<string, Props> props, IMessageExtractor extractor, bool pinned)
        {
            if (!roles.Contains(role))
            {
                return sharding.StartProxy(typeName, role, extractor);
            }

            var settings = ClusterShardingSettings.Create(system).WithRole(role);
            return pinned
                ? sharding.Start(typeName, props, settings, extractor, new PinnedAllocationStrategy(), PoisonPill.Instance)
                : sharding.Start(typeName, props, settings, extractor);
        }

        var expertLogger = loggerFactory.CreateLogger<ExpertActor>();
        var expertsByLayer = new Dictionary<int, IActorRef>();
        foreach (var placement in plan.Experts)
        {
            var region = Region(placement.RegionName, placement.Role,
                id => Props.Create(() => new ExpertActor(id, modelDirectory, expertLogger)), new ExpertExtractor(), pinned: false);
            foreach (var layer in placement.Layers)
            {
                expertsByLayer[layer] = region;
            }
        }

        var groupLogger = loggerFactory.CreateLogger<LayerGroupActor>();
        var routerSettings = new RouterSettings(options.ExpertReplyTimeout,
            MaxAttempts: Math.Max(1, (int)(options.StepTimeout / options.ExpertReplyTimeout) - 1));
        var layerGroups = new Dictionary<string, IActorRef>();
        foreach (var group in plan.LayerGroups)
        {
            var holdsHead = group.EndLayer == plan.Config.NumHiddenLayers;
            layerGroups[group.Name] = Region(group.RegionName, group.Role,
                _ => Props.Create(() => new LayerGroupActor(group, holdsHead, modelDirectory, layer => expertsByLayer[layer],
                    routerSettings, options.Metrics, groupLogger)),
                new LayerGroupExtractor(group.Name), pinned: true);
        }

        IActorRef sequences;
        if (roles.Contains(plan.SessionRole))
        {
            var pipeline = plan.LayerGroups.Select(g => (g.Name, layerGroups[g.Name])).ToList();
            var batcherSettings = new BatcherSettings(options.MaxBatchSequences, options.MaxQueuedSequences,
                options.PrefillChunkTokens, options.StepTimeout, plan.Config.EosTokenId);
            var batcherLogger = loggerFactory.CreateLogger<BatcherActor>();
            var batcher = system.ActorOf(Props.Create(() => new BatcherActor(pipeline, batcherSettings, options.Metrics, batcherLogger)),
                "batcher");
            var tracker = system.ActorOf(Props.Create(() => new SessionTrackerActor(options.Metrics)), "sessions");
            var context = new SequenceContext(plan, g => layerGroups[g.Name], batcher, tracker, options.SessionIdleTimeout,
                options.AskTimeout, new SessionQuota(options.MaxSessions), loggerFactory.CreateLogger<SequenceActor>());
            sequences = Region("sequence", plan.SessionRole, id => Props.Create(() => new SequenceActor(id, context)),
                new SequenceExtractor(), pinned: true);
        }
        else
        {
            sequences = sharding.StartProxy("sequence", plan.SessionRole, new SequenceExtractor());
        }

        return new NodeActors(layerGroups, expertsByLayer, sequences);
    }
}
