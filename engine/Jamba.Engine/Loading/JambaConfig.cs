namespace Jamba.Engine.Loading;

/// <summary>
/// The fields of a Hugging Face JambaConfig that shape the model. Fields absent from config.json take
/// JambaConfig's defaults, except the sizes, which have no sensible default and must be present.
/// </summary>
public sealed record JambaConfig
{
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public int NumKeyValueHeads { get; init; } = 8;
    public float RmsNormEps { get; init; } = 1e-6f;
    public bool TieWordEmbeddings { get; init; }
    public int NumExperts { get; init; } = 16;
    public int NumExpertsPerTok { get; init; } = 2;
    public int ExpertLayerPeriod { get; init; } = 2;
    public int ExpertLayerOffset { get; init; } = 1;
    public int AttnLayerPeriod { get; init; } = 8;
    public int AttnLayerOffset { get; init; } = 4;
    public int MambaDState { get; init; } = 16;
    public int MambaDConv { get; init; } = 4;
    public int MambaExpand { get; init; } = 2;
    public int MambaDtRank { get; init; }
    public bool MambaConvBias { get; init; } = true;
    public bool MambaProjBias { get; init; }
    /// <summary>Jamba v0.1's remote code can turn off the RMSNorms on dt, B and C; current configs always have them.</summary>
    public bool MambaInnerLayerNorms { get; init; } = true;
    public int? BosTokenId { get; init; } = 1;
    public int? EosTokenId { get; init; } = 2;
    public int? PadTokenId { get; init; } = 0;
    public int MaxPositionEmbeddings { get; init; } = 262144;

    public int HeadDim => HiddenSize / NumAttentionHeads;
    public int MambaDInner => MambaExpand * HiddenSize;

    public bool IsAttentionLayer(int layer) => layer % AttnLayerPeriod == AttnLayerOffset;

    public bool IsExpertLayer(int layer) => NumExperts > 1 && layer % ExpertLayerPeriod == ExpertLayerOffset;

    public static JambaConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read the file: {e.Message}", e);
        }

        using var document = JsonInput.Parse(path, bytes, "config");
        return ConfigParser.Parse(path, document.RootElement);
    }
}
