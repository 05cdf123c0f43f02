using Jamba.Engine.Loading;

namespace Jamba.Engine.State;

/// <summary>
/// The size of one sequence's state for a config, as <see cref="SequenceState.ByteCount"/> counts it
/// (F32): a KV cache that grows with every token in each attention layer, and a conv window plus SSM
/// state of fixed size in each Mamba layer.
/// </summary>
/// <remarks>
/// NOTE: these are the bytes in use. An <see cref="AttentionCache"/> grows its buffers by doubling,
/// so the memory it has allocated can be up to twice its share of <see cref="BytesFor"/>.
/// </remarks>
public sealed record StateSize(long BytesPerToken, long FixedBytes)
{
    /// <summary>The state of every layer of the model.</summary>
    public static StateSize For(JambaConfig config) => For(config, 0, config.NumHiddenLayers);

    /// <summary>The state of layers [<paramref name="firstLayer"/>, <paramref name="endLayer"/>), as a node serving only those keeps it.</summary>
    public static StateSize For(JambaConfig config, int firstLayer, int endLayer)
    {
        if (firstLayer < 0 || endLayer > config.NumHiddenLayers || firstLayer > endLayer)
        {
            throw new ArgumentOutOfRangeException(nameof(firstLayer),
                $"layer range [{firstLayer}, {endLayer}) is outside the model's {config.NumHiddenLayers} layers");
        }

        // Keys and values, each num_key_value_heads * head_dim floats per token.
        long kvBytesPerToken = 2L * config.NumKeyValueHeads * config.HeadDim * sizeof(float);

        // The last d_conv inputs of the conv1d [d_conv, d_inner] and h [d_inner, d_state].
        long mambaBytes = ((long)config.MambaDConv + config.MambaDState) * config.MambaDInner * sizeof(float);

        long perToken = 0;
        long fixedBytes = 0;
        for (var layer = firstLayer; layer < endLayer; layer++)
        {
            if (config.IsAttentionLayer(layer))
            {
                perToken += kvBytesPerToken;
            }
            else
            {
                fixedBytes += mambaBytes;
            }
        }

        return new StateSize(perToken, fixedBytes);
    }

    /// <summary>Bytes of the state after <paramref name="tokens"/> tokens.</summary>
    public long BytesFor(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return FixedBytes + tokens * BytesPerToken;
    }
}
