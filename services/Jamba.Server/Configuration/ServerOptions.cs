using System.Globalization;
using Jamba.Actors.Hosting;
using Jamba.Actors.Placement;
using Jamba.Engine.Loading;

namespace Jamba.Server.Configuration;

/// <summary>
/// Settings of the service, read from appsettings.json, environment variables (plain or with the
/// <c>JAMBA_</c> prefix) and the command line, later sources overriding earlier ones.
/// </summary>
public sealed record ServerOptions
{
    public const string DefaultUrl = "http://127.0.0.1:8000";

    /// <summary>Context length used when the model allows more, so a default install stays within memory.</summary>
    public const int DefaultMaxContextTokens = 4096;

    public string Urls { get; init; } = DefaultUrl;

    public required string ModelDirectory { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = ["layers", "experts", "sessions"];

    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    public string AkkaHostname { get; init; } = "127.0.0.1";

    /// <summary>Akka.Remote port; 0 picks a free one.</summary>
    public int AkkaPort { get; init; }

    public string? PlacementFile { get; init; }

    /// <summary>Longest sequence (session history, prompt and completion) a request may reach; null takes the model's limit.</summary>
    public int? MaxContextTokens { get; init; }

    public int MaxQueuedSequences { get; init; } = 64;

    public int MaxBatchSequences { get; init; } = 16;

    public int PrefillChunkTokens { get; init; } = 256;

    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Sessions this node may hold at once, pinned and one-off ones included.</summary>
    public int MaxSessions { get; init; } = 1000;

    /// <summary>Reads the options; a missing Model falls back to the bundled model found above the working and program folders.</summary>
    /// <exception cref="InvalidOperationException">a value is invalid; the message names the key.</exception>
    public static ServerOptions Read(IConfiguration configuration)
    {
        var options = new ServerOptions
        {
            Urls = configuration["Urls"] is { Length: > 0 } urls ? urls : DefaultUrl,
            ModelDirectory = ReadModelDirectory(configuration),
            Roles = ReadList(configuration, "Roles") is { Count: > 0 } roles ? roles : ["layers", "experts", "sessions"],
            SeedNodes = ReadList(configuration, "SeedNodes"),
            AkkaHostname = configuration["AkkaHostname"] is { Length: > 0 } host ? host : "127.0.0.1",
            AkkaPort = ReadInt(configuration, "AkkaPort", 0, min: 0, max: 65535),
            PlacementFile = configuration["PlacementFile"] is { Length: > 0 } placement ? Path.GetFullPath(placement) : null,
            MaxContextTokens = configuration["MaxContextTokens"] is { Length: > 0 } ? ReadInt(configuration, "MaxContextTokens", 0, min: 1) : null,
            MaxQueuedSequences = ReadInt(configuration, "MaxQueuedSequences", 64, min: 0),
            MaxSessions = ReadInt(configuration, "MaxSessions", 1000, min: 1),
            MaxBatchSequences = ReadInt(configuration, "MaxBatchSequences", 16, min: 1),
            PrefillChunkTokens = ReadInt(configuration, "PrefillChunkTokens", 256, min: 1),
            SessionIdleTimeout = ReadTimeSpan(configuration, "SessionIdleTimeout", TimeSpan.FromMinutes(10)),
        };

        // A role this node takes must be one the placement plan uses, or the node would serve nothing under it.
        var plan = LoadPlan(options);
        var known = plan.Roles.ToList();
        foreach (var role in options.Roles)
        {
            if (!known.Contains(role))
            {
                var source = options.PlacementFile ?? "the default placement plan";
                throw new InvalidOperationException(
                    $"Roles: unknown role '{role}'; {source} uses the roles {string.Join(", ", known)}");
            }
        }

        return options;
    }

    private static PlacementPlan LoadPlan(ServerOptions options)
    {
        var config = JambaConfig.Load(Path.Combine(options.ModelDirectory, "config.json"));
        return options.PlacementFile is { } path ? PlacementPlan.Load(path, config) : PlacementPlan.Default(config);
    }

    /// <summary>The context limit: MaxContextTokens when set, else the model's max_position_embeddings capped at <see cref="DefaultMaxContextTokens"/>.</summary>
    /// <exception cref="InvalidOperationException">MaxContextTokens exceeds max_position_embeddings, the longest sequence the cluster runs.</exception>
    public int ContextTokens(int maxPositionEmbeddings)
    {
        if (MaxContextTokens > maxPositionEmbeddings)
        {
            throw new InvalidOperationException(
                $"MaxContextTokens: {MaxContextTokens} exceeds the model's max_position_embeddings of {maxPositionEmbeddings}; set it to at most {maxPositionEmbeddings}");
        }

        return MaxContextTokens ?? Math.Min(maxPositionEmbeddings, DefaultMaxContextTokens);
    }

    public ClusterNodeOptions ToClusterNodeOptions(IClusterMetrics metrics) => new()
    {
        ModelDirectory = ModelDirectory,
        Hostname = AkkaHostname,
        Port = AkkaPort,
        SeedNodes = SeedNodes,
        Roles = Roles,
        PlacementFile = PlacementFile,
        SessionIdleTimeout = SessionIdleTimeout,
        MaxQueuedSequences = MaxQueuedSequences,
        MaxSessions = MaxSessions,
        MaxBatchSequences = MaxBatchSequences,
        PrefillChunkTokens = PrefillChunkTokens,
        Metrics = metrics,
    };

    private static string ReadModelDirectory(IConfiguration configuration)
    {
        if (configuration["Model"] is { Length: > 0 } model)
        {
            return Path.GetFullPath(model);
        }

        return ModelLocator.FindBundledModel()
            ?? throw new InvalidOperationException(
                $"Model: not set, and no {ModelLocator.BundledModelPath} was found above the working folder " +
                $"({Environment.CurrentDirectory}) or the program folder ({AppContext.BaseDirectory}); " +
                "pass --Model <folder with config.json>");
    }

    /// <summary>Reads a list given either as one comma-separated value or as indexed children (Key:0, Key:1).</summary>
    private static List<string> ReadList(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var values = section.Value is { } joined
            ? joined.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : section.GetChildren().Select(child => child.Value?.Trim() ?? "").Where(value => value.Length > 0);

        return values.ToList();
    }

    private static int ReadInt(IConfiguration configuration, string key, int fallback, int min, int max = int.MaxValue)
    {
        if (configuration[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new InvalidOperationException($"{key}: invalid value '{text}'; expected an integer from {min} to {max}");
        }

        return value;
    }

    private static TimeSpan ReadTimeSpan(IConfiguration configuration, string key, TimeSpan fallback)
    {
        if (configuration[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) || value <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{key}: invalid value '{text}'; expected a positive time span such as 00:10:00");
        }

        return value;
    }
}
