using System.Text.Json;

namespace Jamba.Engine.Loading;

/// <summary>Reads config.json into a <see cref="JambaConfig"/>, rejecting unknown fields and values of the wrong type.</summary>
internal static class ConfigParser
{
    // Fields of PretrainedConfig and of Jamba configs published so far that do not change the forward pass.
    private static readonly HashSet<string> IgnoredFields = new(StringComparer.Ordinal)
    {
        "architectures", "model_type", "torch_dtype", "dtype", "transformers_version", "_name_or_path",
        "auto_map", "use_cache", "initializer_range", "output_router_logits", "router_aux_loss_coef",
        "attention_dropout", "sliding_window", "num_logits_to_keep", "use_mamba_kernels", "hidden_act",
        "calc_logits_for_entire_prompt", "n_ctx", "quantization_config",
    };

    public static JambaConfig Parse(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException($"{path}: expected a JSON object");
        }

        var reader = new FieldReader(path, root);
        foreach (var property in root.EnumerateObject())
        {
            if (!IgnoredFields.Contains(property.Name) && !KnownFields.Contains(property.Name))
            {
                throw new CheckpointException($"{path}: unknown config field '{property.Name}'");
            }
        }

        var hiddenAct = reader.String("hidden_act") ?? "silu";
        if (hiddenAct != "silu")
        {
            throw new CheckpointException($"{path}: field 'hidden_act' is '{hiddenAct}'; only 'silu' is supported");
        }

        var hidden = reader.RequiredInt("hidden_size");
        var config = new JambaConfig
        {
            VocabSize = reader.RequiredInt("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = reader.RequiredInt("intermediate_size"),
            NumHiddenLayers = reader.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = reader.RequiredInt("num_attention_heads"),
            NumKeyValueHeads = reader.Int("num_key_value_heads") ?? 8,
            RmsNormEps = reader.Float("rms_norm_eps") ?? 1e-6f,
            TieWordEmbeddings = reader.Bool("tie_word_embeddings") ?? false,
            NumExperts = reader.Int("num_experts") ?? 16,
            NumExpertsPerTok = reader.Int("num_experts_per_tok") ?? 2,
            ExpertLayerPeriod = reader.Int("expert_layer_period") ?? 2,
            ExpertLayerOffset = reader.Int("expert_layer_offset", allowZero: true) ?? 1,
            AttnLayerPeriod = reader.Int("attn_layer_period") ?? 8,
            AttnLayerOffset = reader.Int("attn_layer_offset", allowZero: true) ?? 4,
            MambaDState = reader.Int("mamba_d_state") ?? 16,
            MambaDConv = reader.Int("mamba_d_conv") ?? 4,
            MambaExpand = reader.Int("mamba_expand") ?? 2,
            MambaDtRank = reader.DtRank("mamba_dt_rank", hidden),
            MambaConvBias = reader.Bool("mamba_conv_bias") ?? true,
            MambaProjBias = reader.Bool("mamba_proj_bias") ?? false,
            MambaInnerLayerNorms = reader.Bool("mamba_inner_layernorms") ?? true,
            BosTokenId = reader.TokenId("bos_token_id", 1),
            EosTokenId = reader.TokenId("eos_token_id", 2),
            PadTokenId = reader.TokenId("pad_token_id", 0),
            MaxPositionEmbeddings = reader.Int("max_position_embeddings") ?? 262144,
        };

        Validate(path, config);
        return config;
    }

    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "rms_norm_eps", "tie_word_embeddings", "num_experts", "num_experts_per_tok",
        "expert_layer_period", "expert_layer_offset", "attn_layer_period", "attn_layer_offset",
        "mamba_d_state", "mamba_d_conv", "mamba_expand", "mamba_dt_rank", "mamba_conv_bias",
        "mamba_proj_bias", "mamba_inner_layernorms", "bos_token_id", "eos_token_id", "pad_token_id",
        "max_position_embeddings",
    };

    private static void Validate(string path, JambaConfig config)
    {
        void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new CheckpointException($"{path}: {message}");
            }
        }

        Require(config.HiddenSize % config.NumAttentionHeads == 0,
            $"hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumAttentionHeads}");
        Require(config.NumAttentionHeads % config.NumKeyValueHeads == 0,
            $"num_attention_heads {config.NumAttentionHeads} is not a multiple of num_key_value_heads {config.NumKeyValueHeads}");
        Require(config.NumExpertsPerTok <= config.NumExperts,
            $"num_experts_per_tok {config.NumExpertsPerTok} exceeds num_experts {config.NumExperts}");
        Require(config.AttnLayerOffset < config.AttnLayerPeriod,
            $"attn_layer_offset {config.AttnLayerOffset} must be below attn_layer_period {config.AttnLayerPeriod}");
        Require(config.ExpertLayerOffset < config.ExpertLayerPeriod,
            $"expert_layer_offset {config.ExpertLayerOffset} must be below expert_layer_period {config.ExpertLayerPeriod}");
        foreach (var id in new[] { ("bos_token_id", config.BosTokenId), ("eos_token_id", config.EosTokenId) })
        {
            Require(id.Item2 is null || id.Item2 < config.VocabSize,
                $"{id.Item1} {id.Item2} is outside the vocabulary of {config.VocabSize}");
        }
    }

    private sealed class FieldReader(string path, JsonElement root)
    {
        private JsonElement? Get(string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        public int RequiredInt(string name) =>
            Int(name) ?? throw new CheckpointException($"{path}: missing required field '{name}'");

        public int? Int(string name, bool allowZero = false)
        {
            if (Get(name) is not { } value)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var result))
            {
                throw new CheckpointException($"{path}: field '{name}' must be an integer below 2^31, got {value.GetRawText()}");
            }

            if (result < 0 || (result == 0 && !allowZero))
            {
                var expected = allowZero ? "zero or positive" : "positive";
                throw new CheckpointException($"{path}: field '{name}' must be {expected}, got {result}");
            }

            return result;
        }

        public int? TokenId(string name, int fallback)
        {
            if (!root.TryGetProperty(name, out var value))
            {
                return fallback;
            }

            return value.ValueKind == JsonValueKind.Null ? null : Int(name, allowZero: true);
        }

        public float? Float(string name)
        {
            if (Get(name) is not { } value)
            {
                return null;
            }

            // TryGetDouble fails on numbers beyond the double range, and the float cast may still overflow.
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number)
                || !((float)number > 0) || !float.IsFinite((float)number))
            {
                throw new CheckpointException($"{path}: field '{name}' must be a positive number, got {value.GetRawText()}");
            }

            return (float)number;
        }

        public bool? Bool(string name)
        {
            if (Get(name) is not { } value)
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new CheckpointException($"{path}: field '{name}' must be true or false, got {value.GetRawText()}"),
            };
        }

        public string? String(string name)
        {
            if (Get(name) is not { } value)
            {
                return null;
            }

            return value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : throw new CheckpointException($"{path}: field '{name}' must be a string, got {value.GetRawText()}");
        }

        /// <summary>"auto" means ceil(hidden_size / 16), as JambaConfig defines it.</summary>
        public int DtRank(string name, int hidden)
        {
            if (Get(name) is { ValueKind: JsonValueKind.String } text)
            {
                return text.GetString() == "auto"
                    ? (hidden + 15) / 16
                    : throw new CheckpointException($"{path}: field '{name}' must be an integer or \"auto\", got {text.GetRawText()}");
            }

            return Int(name) ?? (hidden + 15) / 16;
        }
    }
}
