using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Jamba.Engine.Loading;

namespace Jamba.Actors.Placement;

/// <summary>
/// Which node roles hold which layer ranges and which experts. Every node of a cluster must load the
/// same plan, because each one starts a shard region (or a proxy) for every group it names.
/// </summary>
public sealed class PlacementPlan
{
    public const string DefaultLayerRole = "layers";
    public const string DefaultExpertRole = "experts";
    public const string DefaultSessionRole = "sessions";

    private PlacementPlan(JambaConfig config, IReadOnlyList<LayerGroupPlacement> layerGroups,
        IReadOnlyList<ExpertPlacement> experts, string sessionRole, IReadOnlyList<IReadOnlyList<string>>? nodeRoles)
    {
        Config = config;
        LayerGroups = layerGroups;
        Experts = experts;
        SessionRole = sessionRole;
        NodeRoles = nodeRoles;
    }

    public JambaConfig Config { get; }

    /// <summary>Layer groups in layer order; together they cover every layer exactly once.</summary>
    public IReadOnlyList<LayerGroupPlacement> LayerGroups { get; }

    /// <summary>Expert placements; each MoE layer belongs to exactly one.</summary>
    public IReadOnlyList<ExpertPlacement> Experts { get; }

    public string SessionRole { get; }

    /// <summary>Roles suggested for each node, when the plan was made for a cluster size; null otherwise.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? NodeRoles { get; }

    /// <summary>Every role the plan uses.</summary>
    public IEnumerable<string> Roles =>
        LayerGroups.Select(g => g.Role).Concat(Experts.Select(e => e.Role)).Append(SessionRole).Distinct();

    /// <summary>Every (layer, expert) pair of the model.</summary>
    public IEnumerable<(int Layer, int Expert)> ExpertIds =>
        Experts.SelectMany(p => p.Layers).Order().SelectMany(layer =>
            Enumerable.Range(0, Config.NumExperts).Select(expert => (layer, expert)));

    public ExpertPlacement ExpertPlacementOf(int layer) =>
        Experts.FirstOrDefault(p => p.Layers.Contains(layer))
        ?? throw new ArgumentOutOfRangeException(nameof(layer), layer, "layer has no experts in the placement plan");

    /// <summary>One node serves everything: a single layer group on "layers", experts on "experts", sessions on "sessions".</summary>
    public static PlacementPlan Default(JambaConfig config) =>
        Create(config, [new LayerGroupPlacement(DefaultLayerRole, 0, config.NumHiddenLayers)],
            DefaultExpertRole, DefaultSessionRole, nodeRoles: null);

    /// <summary>
    /// A plan for <paramref name="nodes"/> nodes: the layers split into one contiguous group per node
    /// (role "layers-i"), experts spread over all nodes, sessions on the first.
    /// </summary>
    public static PlacementPlan ForClusterSize(JambaConfig config, int nodes)
    {
        if (nodes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, "a cluster needs at least one node");
        }

        if (nodes == 1)
        {
            return Create(config, [new LayerGroupPlacement(DefaultLayerRole, 0, config.NumHiddenLayers)],
                DefaultExpertRole, DefaultSessionRole,
                [[DefaultLayerRole, DefaultExpertRole, DefaultSessionRole]]);
        }

        var groupCount = Math.Min(nodes, config.NumHiddenLayers);
        var groups = new List<LayerGroupPlacement>();
        for (var g = 0; g < groupCount; g++)
        {
            var first = g * config.NumHiddenLayers / groupCount;
            var end = (g + 1) * config.NumHiddenLayers / groupCount;
            groups.Add(new LayerGroupPlacement($"{DefaultLayerRole}-{g + 1}", first, end));
        }

        var nodeRoles = new List<IReadOnlyList<string>>();
        for (var n = 0; n < nodes; n++)
        {
            var roles = new List<string>();
            if (n < groupCount)
            {
                roles.Add(groups[n].Role);
            }

            roles.Add(DefaultExpertRole);
            if (n == 0)
            {
                roles.Add(DefaultSessionRole);
            }

            nodeRoles.Add(roles);
        }

        return Create(config, groups, DefaultExpertRole, DefaultSessionRole, nodeRoles);
    }

    /// <summary>Reads a plan from JSON; errors name the file and the field at fault.</summary>
    public static PlacementPlan Load(string path, JambaConfig config)
    {
        if (!File.Exists(path))
        {
            throw new PlacementException($"{path}: placement file not found");
        }

        PlanFile? file;
        try
        {
            file = JsonSerializer.Deserialize<PlanFile>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new PlacementException($"{path}: invalid placement JSON: {e.Message}", e);
        }

        if (file?.LayerGroups is not { Count: > 0 } groups)
        {
            throw new PlacementException($"{path}: \"layerGroups\" is missing or empty");
        }

        try
        {
            var layerGroups = groups.Select(g => new LayerGroupPlacement(g.Role ?? "", g.FirstLayer, g.EndLayer)).ToList();
            var sessionRole = file.SessionRole ?? DefaultSessionRole;
            if (file.Experts is null)
            {
                return Create(config, layerGroups, DefaultExpertRole, sessionRole, nodeRoles: null);
            }

            var experts = file.Experts.Select(e => new ExpertPlacement(e.Role ?? "", e.Layers ?? [])).ToList();
            return Create(config, layerGroups, experts, sessionRole, nodeRoles: null);
        }
        catch (PlacementException e)
        {
            throw new PlacementException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>A human-readable account of the plan, as `jamba inspect` prints it.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var nodes = NodeRoles is null ? "configured" : $"{NodeRoles.Count} node(s)";
        text.AppendLine($"Placement plan ({nodes}), {Config.NumHiddenLayers} layers:");
        foreach (var group in LayerGroups)
        {
            var extras = new List<string>();
            if (group.FirstLayer == 0)
            {
                extras.Add("embedding");
            }

            if (group.EndLayer == Config.NumHiddenLayers)
            {
                extras.Add("head");
            }

            var suffix = extras.Count > 0 ? $" + {string.Join(" + ", extras)}" : "";
            text.AppendLine($"  layers {group.Name}{suffix} on role '{group.Role}'");
        }

        foreach (var placement in Experts)
        {
            text.AppendLine(
                $"  experts of MoE layers [{string.Join(", ", placement.Layers)}] ({placement.Layers.Count * Config.NumExperts} entities, " +
                $"top-{Config.NumExpertsPerTok} of {Config.NumExperts}) spread by Cluster Sharding over role '{placement.Role}'");
        }

        text.AppendLine($"  sessions on role '{SessionRole}'");
        if (NodeRoles is not null)
        {
            for (var n = 0; n < NodeRoles.Count; n++)
            {
                text.AppendLine($"  node {n + 1}: roles {string.Join(", ", NodeRoles[n])}");
            }
        }

        return text.ToString();
    }

    private static PlacementPlan Create(JambaConfig config, List<LayerGroupPlacement> groups, string expertRole,
        string sessionRole, IReadOnlyList<IReadOnlyList<string>>? nodeRoles)
    {
        var moeLayers = Enumerable.Range(0, config.NumHiddenLayers).Where(config.IsExpertLayer).ToList();
        IReadOnlyList<ExpertPlacement> experts = moeLayers.Count > 0 ? [new ExpertPlacement(expertRole, moeLayers)] : [];
        return Create(config, groups, experts.ToList(), sessionRole, nodeRoles);
    }

    private static PlacementPlan Create(JambaConfig config, List<LayerGroupPlacement> groups,
        List<ExpertPlacement> experts, string sessionRole, IReadOnlyList<IReadOnlyList<string>>? nodeRoles)
    {
        var ordered = groups.OrderBy(g => g.FirstLayer).ToList();
        var next = 0;
        foreach (var group in ordered)
        {
            CheckRole(group.Role, $"layer group {group.FirstLayer}..{group.EndLayer}");
            if (group.FirstLayer != next || group.EndLayer <= group.FirstLayer)
            {
                throw new PlacementException(
                    $"layer group [{group.FirstLayer}, {group.EndLayer}) does not continue at layer {next}; groups must cover " +
                    $"layers 0..{config.NumHiddenLayers - 1} contiguously without overlap");
            }

            next = group.EndLayer;
        }

        if (next != config.NumHiddenLayers)
        {
            throw new PlacementException($"layer groups end at layer {next}, the model has {config.NumHiddenLayers} layers");
        }

        CheckRole(sessionRole, "sessionRole");
        var covered = new HashSet<int>();
        foreach (var placement in experts)
        {
            CheckRole(placement.Role, "expert placement");
            foreach (var layer in placement.Layers)
            {
                if (layer < 0 || layer >= config.NumHiddenLayers || !config.IsExpertLayer(layer))
                {
                    throw new PlacementException($"expert placement on role '{placement.Role}' names layer {layer}, which is not a MoE layer");
                }

                if (!covered.Add(layer))
                {
                    throw new PlacementException($"the experts of layer {layer} are placed twice");
                }
            }
        }

        var missing = Enumerable.Range(0, config.NumHiddenLayers).Where(l => config.IsExpertLayer(l) && !covered.Contains(l)).ToList();
        if (missing.Count > 0)
        {
            throw new PlacementException($"the experts of MoE layer(s) {string.Join(", ", missing)} have no placement");
        }

        return new PlacementPlan(config, ordered, experts, sessionRole, nodeRoles);
    }

    private static void CheckRole(string role, string what)
    {
        if (string.IsNullOrWhiteSpace(role) || role.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new PlacementException($"{what} has invalid role '{role}'; use letters, digits, '-' and '_'");
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private sealed record PlanFile(List<GroupEntry>? LayerGroups, List<ExpertEntry>? Experts, string? SessionRole);

    private sealed record GroupEntry(string? Role, int FirstLayer, int EndLayer);

    private sealed record ExpertEntry(string? Role, List<int>? Layers);
}

public sealed class PlacementException(string message, Exception? inner = null) : Exception(message, inner);
