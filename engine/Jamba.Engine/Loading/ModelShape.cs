namespace Jamba.Engine.Loading;

/// <summary>
/// The layer shapes of a Jamba family member, for writing random-weight checkpoints that size
/// hardware and drive benchmarks without downloading a real model.
/// </summary>
public sealed record ModelShape
{
    public required string Name { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int NumExperts { get; init; }
    public int NumExpertsPerTok { get; init; } = 2;
    public int AttnLayerPeriod { get; init; } = 8;
    public int AttnLayerOffset { get; init; } = 4;
    public int ExpertLayerPeriod { get; init; } = 2;
    public int ExpertLayerOffset { get; init; } = 1;
    public int MambaDState { get; init; } = 16;
    public int MambaDConv { get; init; } = 4;
    public int MambaExpand { get; init; } = 2;
    public required int MambaDtRank { get; init; }

    /// <summary>Jamba v0.1 and Jamba-1.5-Mini: 32 layers of these shapes, 52B parameters, 12B active.</summary>
    public static ModelShape Mini { get; } = new()
    {
        Name = "mini",
        VocabSize = 65536,
        HiddenSize = 4096,
        IntermediateSize = 14336,
        NumHiddenLayers = 32,
        NumAttentionHeads = 32,
        NumKeyValueHeads = 8,
        NumExperts = 16,
        MambaDtRank = 256,
    };

    /// <summary>A 0.5B-parameter shape (0.21B active per token) that fits a laptop and a CI machine.</summary>
    public static ModelShape Mid { get; } = new()
    {
        Name = "mid",
        VocabSize = 32768,
        HiddenSize = 1024,
        IntermediateSize = 3584,
        NumHiddenLayers = 8,
        NumAttentionHeads = 16,
        NumKeyValueHeads = 4,
        NumExperts = 8,
        MambaDtRank = 64,
    };

    /// <summary>A few hundred thousand parameters in the same layout, for smoke tests of tools and deployments.</summary>
    public static ModelShape Tiny { get; } = new()
    {
        Name = "tiny",
        VocabSize = 512,
        HiddenSize = 64,
        IntermediateSize = 96,
        NumHiddenLayers = 8,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        NumExperts = 4,
        MambaDtRank = 4,
    };

    public static IReadOnlyList<ModelShape> Known { get; } = [Mini, Mid, Tiny];

    public static ModelShape Find(string name) =>
        Known.FirstOrDefault(shape => shape.Name == name)
        ?? throw new ArgumentException($"unknown shape '{name}'; known shapes: {string.Join(", ", Known.Select(s => s.Name))}");

    public int DInner => MambaExpand * HiddenSize;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public bool IsAttentionLayer(int layer) => layer % AttnLayerPeriod == AttnLayerOffset;

    public bool IsExpertLayer(int layer) => NumExperts > 1 && layer % ExpertLayerPeriod == ExpertLayerOffset;
}
