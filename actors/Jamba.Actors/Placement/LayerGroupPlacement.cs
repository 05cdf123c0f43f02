namespace Jamba.Actors.Placement;

/// <summary>A contiguous layer range [FirstLayer, EndLayer) served by one layer-group actor on a node with <paramref name="Role"/>.</summary>
public sealed record LayerGroupPlacement(string Role, int FirstLayer, int EndLayer)
{
    /// <summary>The range as metrics and logs name it, inclusive at both ends ("0-3").</summary>
    public string Name => $"{FirstLayer}-{EndLayer - 1}";

    /// <summary>Name of the shard region that hosts this group.</summary>
    public string RegionName => $"layer-group-{Name}";

    public bool Contains(int layer) => layer >= FirstLayer && layer < EndLayer;
}

/// <summary>The experts of some MoE layers, placed by Cluster Sharding on nodes with <paramref name="Role"/>.</summary>
public sealed record ExpertPlacement(string Role, IReadOnlyList<int> Layers)
{
    public string RegionName => $"experts-{Role}";
}
