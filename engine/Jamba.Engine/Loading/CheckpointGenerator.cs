using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jamba.Kernels;

namespace Jamba.Engine.Loading;

/// <summary>
/// Writes a random-weight checkpoint in the Hugging Face layout (config.json, model.safetensors)
/// for a <see cref="ModelShape"/>. Tensors are generated and written in chunks, so a checkpoint
/// larger than memory can be written.
/// </summary>
public static class CheckpointGenerator
{
    private const float InitializerRange = 0.02f;
    private const int ChunkElements = 1 << 20;

    private sealed record TensorPlan(string Name, long[] Shape, Func<long, float> Value)
    {
        public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);
    }

    /// <summary>Writes the checkpoint into <paramref name="directory"/> and returns its parameter count.</summary>
    public static long Write(ModelShape shape, string directory, DType dtype, int seed = 0, IProgress<double>? progress = null)
    {
        if (dtype is not (DType.F32 or DType.BF16))
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "random checkpoints are written as F32 or BF16");
        }

        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), Config(shape, dtype).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var plan = Plan(shape);
        var elementSize = dtype.ByteSize();
        var dtypeName = dtype == DType.F32 ? "F32" : "BF16";
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var tensor in plan)
        {
            var bytes = tensor.ElementCount * elementSize;
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = dtypeName,
                ["shape"] = new JsonArray(tensor.Shape.Select(dim => (JsonNode)dim).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }

        var headerBytes = JsonSerializer.SerializeToUtf8Bytes(header);
        using var stream = new FileStream(Path.Combine(directory, "model.safetensors"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
        stream.Write(headerBytes);

        var total = plan.Sum(tensor => tensor.ElementCount);
        long written = 0;
        var random = new Random(seed);
        var values = new float[ChunkElements];
        var halves = new ushort[ChunkElements];
        foreach (var tensor in plan)
        {
            for (long start = 0; start < tensor.ElementCount; start += ChunkElements)
            {
                var count = (int)Math.Min(ChunkElements, tensor.ElementCount - start);
                for (var i = 0; i < count; i++)
                {
                    var value = tensor.Value(start + i);
                    values[i] = float.IsNaN(value) ? Normal(random) * InitializerRange : value;
                }

                if (dtype == DType.F32)
                {
                    stream.Write(MemoryMarshal.AsBytes(values.AsSpan(0, count)));
                }
                else
                {
                    for (var i = 0; i < count; i++)
                    {
                        halves[i] = Widen.SingleToBFloat16(values[i]);
                    }

                    stream.Write(MemoryMarshal.AsBytes(halves.AsSpan(0, count)));
                }

                written += count;
                progress?.Report((double)written / total);
            }
        }

        return total;
    }

    // NaN marks "draw from N(0, initializer_range)"; other values are fixed, as Mamba's initialisation prescribes.
    private static List<TensorPlan> Plan(ModelShape shape)
    {
        long hidden = shape.HiddenSize, intermediate = shape.IntermediateSize, dInner = shape.DInner;
        long dState = shape.MambaDState, dtRank = shape.MambaDtRank;
        long kvWidth = (long)shape.NumKeyValueHeads * shape.HeadDim;
        Func<long, float> random = _ => float.NaN;
        Func<long, float> ones = _ => 1f;

        var plan = new List<TensorPlan> { new("model.embed_tokens.weight", [shape.VocabSize, hidden], random) };
        for (var layer = 0; layer < shape.NumHiddenLayers; layer++)
        {
            var prefix = $"model.layers.{layer}";
            plan.Add(new($"{prefix}.input_layernorm.weight", [hidden], ones));
            plan.Add(new($"{prefix}.pre_ff_layernorm.weight", [hidden], ones));
            if (shape.IsAttentionLayer(layer))
            {
                plan.Add(new($"{prefix}.self_attn.q_proj.weight", [hidden, hidden], random));
                plan.Add(new($"{prefix}.self_attn.k_proj.weight", [kvWidth, hidden], random));
                plan.Add(new($"{prefix}.self_attn.v_proj.weight", [kvWidth, hidden], random));
                plan.Add(new($"{prefix}.self_attn.o_proj.weight", [hidden, hidden], random));
            }
            else
            {
                var mamba = $"{prefix}.mamba";
                plan.Add(new($"{mamba}.in_proj.weight", [2 * dInner, hidden], random));
                plan.Add(new($"{mamba}.conv1d.weight", [dInner, 1, shape.MambaDConv], random));
                plan.Add(new($"{mamba}.conv1d.bias", [dInner], _ => 0f));
                plan.Add(new($"{mamba}.x_proj.weight", [dtRank + 2 * dState, dInner], random));
                plan.Add(new($"{mamba}.dt_proj.weight", [dInner, dtRank], random));

                // dt starts near 0.01, so the bias is softplus⁻¹(0.01) = log(exp(0.01) - 1).
                plan.Add(new($"{mamba}.dt_proj.bias", [dInner], _ => MathF.Log(MathF.Exp(0.01f) - 1f)));

                // A_log[c, n] = log(n + 1), the S4D-real initialisation Mamba uses.
                plan.Add(new($"{mamba}.A_log", [dInner, dState], index => MathF.Log(index % dState + 1)));
                plan.Add(new($"{mamba}.D", [dInner], ones));
                plan.Add(new($"{mamba}.out_proj.weight", [hidden, dInner], random));
                plan.Add(new($"{mamba}.dt_layernorm.weight", [dtRank], ones));
                plan.Add(new($"{mamba}.b_layernorm.weight", [dState], ones));
                plan.Add(new($"{mamba}.c_layernorm.weight", [dState], ones));
            }

            var feedForward = $"{prefix}.feed_forward";
            if (shape.IsExpertLayer(layer))
            {
                plan.Add(new($"{feedForward}.router.weight", [shape.NumExperts, hidden], random));
                for (var expert = 0; expert < shape.NumExperts; expert++)
                {
                    AddMlp(plan, $"{feedForward}.experts.{expert}", hidden, intermediate, random);
                }
            }
            else
            {
                AddMlp(plan, feedForward, hidden, intermediate, random);
            }
        }

        plan.Add(new("model.final_layernorm.weight", [hidden], ones));
        plan.Add(new("lm_head.weight", [shape.VocabSize, hidden], random));
        return plan;
    }

    private static void AddMlp(List<TensorPlan> plan, string prefix, long hidden, long intermediate, Func<long, float> random)
    {
        plan.Add(new($"{prefix}.gate_proj.weight", [intermediate, hidden], random));
        plan.Add(new($"{prefix}.up_proj.weight", [intermediate, hidden], random));
        plan.Add(new($"{prefix}.down_proj.weight", [hidden, intermediate], random));
    }

    private static JsonObject Config(ModelShape shape, DType dtype) => new()
    {
        ["architectures"] = new JsonArray("JambaForCausalLM"),
        ["model_type"] = "jamba",
        ["torch_dtype"] = dtype == DType.F32 ? "float32" : "bfloat16",
        ["vocab_size"] = shape.VocabSize,
        ["hidden_size"] = shape.HiddenSize,
        ["intermediate_size"] = shape.IntermediateSize,
        ["num_hidden_layers"] = shape.NumHiddenLayers,
        ["num_attention_heads"] = shape.NumAttentionHeads,
        ["num_key_value_heads"] = shape.NumKeyValueHeads,
        ["hidden_act"] = "silu",
        ["rms_norm_eps"] = 1e-6,
        ["tie_word_embeddings"] = false,
        ["num_experts"] = shape.NumExperts,
        ["num_experts_per_tok"] = shape.NumExpertsPerTok,
        ["expert_layer_period"] = shape.ExpertLayerPeriod,
        ["expert_layer_offset"] = shape.ExpertLayerOffset,
        ["attn_layer_period"] = shape.AttnLayerPeriod,
        ["attn_layer_offset"] = shape.AttnLayerOffset,
        ["mamba_d_state"] = shape.MambaDState,
        ["mamba_d_conv"] = shape.MambaDConv,
        ["mamba_expand"] = shape.MambaExpand,
        ["mamba_dt_rank"] = shape.MambaDtRank,
        ["mamba_conv_bias"] = true,
        ["mamba_proj_bias"] = false,
        ["bos_token_id"] = 1,
        ["eos_token_id"] = 2,
        ["pad_token_id"] = 0,
        ["max_position_embeddings"] = 262144,
    };

    // Box-Muller: one standard normal draw from two uniform ones.
    private static float Normal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
