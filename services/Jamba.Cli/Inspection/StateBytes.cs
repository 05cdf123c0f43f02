using Jamba.Engine.Loading;

namespace Jamba.Cli.Inspection;

/// <summary>
/// The F32 state one sequence holds: a KV cache that grows by <see cref="PerToken"/> bytes with every
/// token, and Mamba conv windows and SSM states that take <see cref="Fixed"/> bytes at any length.
/// </summary>
// TODO: switch to the engine's StateSize.For(JambaConfig) once it is in main, so both count alike.
public sealed record StateBytes(long PerToken, long Fixed, int AttentionLayers, int MambaLayers)
{
    public static StateBytes For(JambaConfig config)
    {
        var attentionLayers = Enumerable.Range(0, config.NumHiddenLayers).Count(config.IsAttentionLayer);
        var mambaLayers = config.NumHiddenLayers - attentionLayers;

        // Keys and values, num_key_value_heads * head_dim floats each, for every past token.
        var kvPerLayer = 2L * config.NumKeyValueHeads * config.HeadDim * sizeof(float);

        // The last d_conv inputs of the conv1d and h [d_inner, d_state].
        var mambaPerLayer = ((long)config.MambaDConv * config.MambaDInner + (long)config.MambaDInner * config.MambaDState) * sizeof(float);

        return new StateBytes(attentionLayers * kvPerLayer, mambaLayers * mambaPerLayer, attentionLayers, mambaLayers);
    }

    public long At(long tokens) => Fixed + tokens * PerToken;
}
