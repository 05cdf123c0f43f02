using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;
using Jamba.Actors.Placement;
using Jamba.Engine.Loading;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Hosting;

/// <summary>Starts a cluster node: the "jamba" actor system, its place in the cluster and the shard regions of the plan.</summary>
public static class JambaClusterHost
{
    public const string SystemName = "jamba";

    /// <summary>
    /// Starts the node and joins the cluster (its own seed when <see cref="ClusterNodeOptions.SeedNodes"/>
    /// is empty). The node serves once <see cref="JambaClusterNode.WhenReadyAsync"/> completes.
    /// </summary>
    /// <exception cref="ArgumentException">an option is invalid.</exception>
    /// <exception cref="CheckpointException">the model's config cannot be read.</exception>
    /// <exception cref="PlacementException">the placement file is missing or invalid.</exception>
    public static Task<JambaClusterNode> StartAsync(ClusterNodeOptions options, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Validate(options);
        var setup = BootstrapSetup.Create().WithConfig(AkkaConfig.Build(options)).And(new LoggerFactorySetup(loggerFactory));
        var system = ActorSystem.Create(SystemName, setup);
        try
        {
            return Task.FromResult(Attach(system, options, loggerFactory));
        }
        catch
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    /// <summary>
    /// The HOCON a node's actor system needs (remoting, cluster, sharding, the wire serializer), for a
    /// host that creates the "jamba" actor system itself, such as Akka.Hosting's AddAkka. Akka's
    /// loggers are left to that host.
    /// </summary>
    /// <exception cref="ArgumentException">an option is invalid.</exception>
    public static Config Configuration(ClusterNodeOptions options)
    {
        Validate(options);
        return AkkaConfig.Build(options, withLogger: false);
    }

    /// <summary>
    /// Joins the cluster with an actor system created from <see cref="Configuration"/> and starts this
    /// node's shard regions. Disposing the node leaves the cluster and terminates the system.
    /// </summary>
    /// <exception cref="CheckpointException">the model's config cannot be read.</exception>
    /// <exception cref="PlacementException">the placement file is missing or invalid.</exception>
    public static JambaClusterNode Attach(ActorSystem system, ClusterNodeOptions options, ILoggerFactory loggerFactory)
    {
        Validate(options);
        if (system.Name != SystemName)
        {
            throw new ArgumentException($"the actor system is named '{system.Name}'; cluster nodes need '{SystemName}'", nameof(system));
        }

        var config = JambaConfig.Load(Path.Combine(options.ModelDirectory, "config.json"));
        var plan = options.PlacementFile is null ? PlacementPlan.Default(config) : PlacementPlan.Load(options.PlacementFile, config);
        var seeds = options.SeedNodes.Select(ParseSeed).ToList();
        var logger = loggerFactory.CreateLogger(typeof(JambaClusterHost));
        var unused = options.Roles.Where(r => !plan.Roles.Contains(r)).ToList();
        if (unused.Count > 0)
        {
            logger.LogWarning("Roles {Roles} of this node hold nothing in the placement plan", unused);
        }

        var cluster = Cluster.Get(system);
        if (seeds.Count == 0)
        {
            cluster.Join(cluster.SelfAddress);
        }
        else
        {
            cluster.JoinSeedNodes(seeds);
        }

        var actors = NodeActors.Start(system, plan, options, loggerFactory);
        logger.LogInformation("Cluster node {Address} started with roles {Roles}; seeds {Seeds}",
            cluster.SelfAddress, options.Roles, seeds.Count == 0 ? "self" : string.Join(", ", seeds));
        return new JambaClusterNode(system, plan, actors, options, loggerFactory);
    }

    private static void Validate(ClusterNodeOptions options)
    {
        if (!Directory.Exists(options.ModelDirectory))
        {
            throw new ArgumentException($"model directory '{options.ModelDirectory}' not found", nameof(options));
        }

        if (options.Roles.Count == 0)
        {
            throw new ArgumentException("a node needs at least one role", nameof(options));
        }

        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"port {options.Port} is outside 0..65535", nameof(options));
        }

        if (options.MaxSessions < 1)
        {
            throw new ArgumentException($"max sessions must be at least 1, got {options.MaxSessions}", nameof(options));
        }

        if (options.MaxBatchSequences < 1 || options.MaxQueuedSequences < 0 || options.PrefillChunkTokens < 1)
        {
            throw new ArgumentException(
                $"batch limits must be positive (max batch sequences {options.MaxBatchSequences}, " +
                $"max queued {options.MaxQueuedSequences}, prefill chunk {options.PrefillChunkTokens})", nameof(options));
        }

        if (options.SessionIdleTimeout <= TimeSpan.Zero || options.ExpertReplyTimeout <= TimeSpan.Zero || options.StepTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("timeouts must be positive", nameof(options));
        }
    }

    private static Address ParseSeed(string seed)
    {
        try
        {
            var address = Address.Parse(seed);
            if (address.System != SystemName || address.Host is null || address.Port is null)
            {
                throw new UriFormatException("expected akka.tcp://jamba@host:port");
            }

            return address;
        }
        catch (UriFormatException e)
        {
            throw new ArgumentException($"seed node '{seed}' is not an address of the form akka.tcp://{SystemName}@host:port: {e.Message}", e);
        }
    }
}
