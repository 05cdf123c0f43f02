namespace Jamba.Engine;

/// <summary>
/// Which part of a checkpoint a node loads: a layer range, whether it holds the embedding and the
/// head, and which experts of each MoE layer. The default is the whole model.
/// </summary>
public sealed record ModelPart
{
    public static ModelPart Whole { get; } = new();

    /// <summary>First layer loaded (inclusive).</summary>
    public int FirstLayer { get; init; }

    /// <summary>Layer after the last one loaded (exclusive); null means the last layer of the model.</summary>
    public int? EndLayer { get; init; }

    public bool Embedding { get; init; } = true;

    public bool Head { get; init; } = true;

    /// <summary>Decides for (layer, expert) whether to load that expert; null loads every expert.</summary>
    public Func<int, int, bool>? Experts { get; init; }

    /// <summary>Only the given experts and nothing else, for a node that serves experts alone.</summary>
    public static ModelPart ExpertsOnly(Func<int, int, bool> experts) =>
        new() { FirstLayer = 0, EndLayer = 0, Embedding = false, Head = false, Experts = experts };
}
