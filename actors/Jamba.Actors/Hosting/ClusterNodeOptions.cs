namespace Jamba.Actors.Hosting;

/// <summary>Settings of one cluster node: the model it serves, its address, roles and limits.</summary>
public sealed record ClusterNodeOptions
{
    public required string ModelDirectory { get; init; }

    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>Akka.Remote port; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Seed node addresses (akka.tcp://jamba@host:port); empty makes this node its own seed.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>Roles this node takes: "layers", "experts", "sessions". A single node takes all three.</summary>
    public IReadOnlyList<string> Roles { get; init; } = ["layers", "experts", "sessions"];

    /// <summary>Path of a placement plan JSON file; null places everything by the default plan.</summary>
    public string? PlacementFile { get; init; }

    /// <summary>Idle time after which an unpinned session is passivated and its state freed.</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Sessions one sessions node may hold at once, pinned ones included, one-off requests' temporary
    /// sessions too. Further sessions are rejected with <see cref="SessionLimitException"/>.
    /// </summary>
    public int MaxSessions { get; init; } = 1000;

    /// <summary>Sequences that may wait for a batch slot before new requests are rejected.</summary>
    public int MaxQueuedSequences { get; init; } = 64;

    /// <summary>Sequences decoded together in one step.</summary>
    public int MaxBatchSequences { get; init; } = 16;

    /// <summary>Longest prompt chunk one sequence feeds per step, so a long prompt does not stall others.</summary>
    public int PrefillChunkTokens { get; init; } = 256;

    public IClusterMetrics Metrics { get; init; } = NullClusterMetrics.Instance;

    /// <summary>How long a router waits for an expert before resending its rows (an expert's node may have left).</summary>
    public TimeSpan ExpertReplyTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one batch step may take in one layer group before its sequences fail.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a session request (create, get, delete, export) waits for the session's entity.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra HOCON that takes precedence over the node's generated Akka configuration.</summary>
    public string? AkkaConfig { get; init; }
}
