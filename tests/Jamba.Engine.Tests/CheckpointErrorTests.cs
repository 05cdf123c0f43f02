using System.Text.Json.Nodes;
using Jamba.Engine.Loading;

namespace Jamba.Engine.Tests;

/// <summary>A broken checkpoint folder, config.json or index raises a <see cref="CheckpointException"/> naming the file and the field.</summary>
public class CheckpointErrorTests
{
    private const string Index = "model.safetensors.index.json";

    [Fact]
    public void Missing_model_folder()
    {
        var missing = Path.Combine(Path.GetTempPath(), "jamba-no-such-model-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(missing));

        Assert.Contains(missing, error.Message);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void Missing_config()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        File.Delete(copy.PathOf("config.json"));

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(copy.PathOf("config.json"), error.Message);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void Missing_model_safetensors()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        File.Delete(copy.PathOf("model.safetensors"));

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(copy.Directory, error.Message);
        Assert.Contains("model.safetensors", error.Message);
    }

    [Fact]
    public void Missing_shard_named_in_index()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        File.Delete(copy.PathOf("model-00002-of-00002.safetensors"));

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(Index, error.Message);
        Assert.Contains("model-00002-of-00002.safetensors", error.Message);
        Assert.Matches(@"tensor '(model\.layers\.[345]\.|model\.final_layernorm)", error.Message);
    }

    [Fact]
    public void Index_shard_outside_folder()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        var text = File.ReadAllText(copy.PathOf(Index));
        File.WriteAllText(copy.PathOf(Index), text.Replace(
            "\"model.final_layernorm.weight\": \"model-00002-of-00002.safetensors\"",
            "\"model.final_layernorm.weight\": \"../model-00002-of-00002.safetensors\""));

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(Index, error.Message);
        Assert.Contains("model.final_layernorm.weight", error.Message);
    }

    [Fact]
    public void Malformed_config_json()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        File.WriteAllText(copy.PathOf("config.json"), "{ \"vocab_size\": 256, \"hidden_size\": ");

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(copy.PathOf("config.json"), error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void Config_not_valid_utf8()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        File.WriteAllBytes(copy.PathOf("config.json"), [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}']);

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(copy.PathOf("config.json"), error.Message);
        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void Config_not_an_object()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        File.WriteAllText(copy.PathOf("config.json"), "[64, 4]");

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(copy.PathOf("config.json"), error.Message);
        Assert.Contains("JSON object", error.Message);
    }

    [Fact]
    public void Malformed_index_json()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        File.WriteAllText(copy.PathOf(Index), "{ \"weight_map\": { \"model.embed_tokens.weight\": ");

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(Index, error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"weights\"")]
    [InlineData("{ \"metadata\": {} }")]
    [InlineData("{ \"weight_map\": [] }")]
    public void Index_without_weight_map_object(string json)
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        File.WriteAllText(copy.PathOf(Index), json);

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(Index, error.Message);
    }

    [Fact]
    public void Index_entry_not_a_string()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        File.WriteAllText(copy.PathOf(Index), "{ \"weight_map\": { \"model.embed_tokens.weight\": 1 } }");

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(Index, error.Message);
        Assert.Contains("model.embed_tokens.weight", error.Message);
    }

    [Fact]
    public void Unknown_config_field()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.EditConfig(config => config["hidden_sise"] = 64);

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains("config.json", error.Message);
        Assert.Contains("unknown config field 'hidden_sise'", error.Message);
    }

    [Theory]
    [InlineData("hidden_size")]
    [InlineData("vocab_size")]
    [InlineData("intermediate_size")]
    [InlineData("num_hidden_layers")]
    [InlineData("num_attention_heads")]
    public void Missing_required_field(string field)
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.EditConfig(config => config.Remove(field));

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains("config.json", error.Message);
        Assert.Contains($"missing required field '{field}'", error.Message);
    }

    [Theory]
    [InlineData("hidden_size", "\"big\"")]
    [InlineData("hidden_size", "64.5")]
    [InlineData("hidden_size", "0")]
    [InlineData("hidden_size", "-64")]
    [InlineData("hidden_size", "1e12")]
    [InlineData("num_key_value_heads", "[2]")]
    [InlineData("rms_norm_eps", "\"1e-6\"")]
    [InlineData("rms_norm_eps", "0")]
    [InlineData("rms_norm_eps", "1e400")]
    [InlineData("rms_norm_eps", "1e-60")]
    [InlineData("tie_word_embeddings", "\"false\"")]
    [InlineData("mamba_dt_rank", "\"large\"")]
    [InlineData("bos_token_id", "-1")]
    [InlineData("hidden_act", "\"gelu\"")]
    [InlineData("hidden_act", "7")]
    public void Field_of_wrong_type_or_range(string field, string json)
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.EditConfig(config => config[field] = JsonNode.Parse(json));

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains("config.json", error.Message);
        Assert.Contains($"'{field}'", error.Message);
    }

    [Theory]
    [InlineData("num_attention_heads", 5, "num_attention_heads")]
    [InlineData("num_key_value_heads", 3, "num_key_value_heads")]
    [InlineData("num_experts_per_tok", 5, "num_experts_per_tok")]
    [InlineData("attn_layer_offset", 4, "attn_layer_offset")]
    [InlineData("expert_layer_offset", 2, "expert_layer_offset")]
    [InlineData("eos_token_id", 256, "eos_token_id")]
    public void Inconsistent_fields(string field, int value, string named)
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.EditConfig(config => config[field] = value);

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains("config.json", error.Message);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Config_size_disagreeing_with_tensors()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.EditConfig(config => config["intermediate_size"] = 97);

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("feed_forward", error.Message);
        Assert.Contains("97", error.Message);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(2_000_000_000)]
    public void Layer_count_disagreeing_with_tensors(int layers)
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.EditConfig(config => config["num_hidden_layers"] = layers);

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(copy.PathOf("config.json"), error.Message);
        Assert.Contains($"'num_hidden_layers' is {layers}", error.Message);
        Assert.Contains("tensors for 8 layers", error.Message);
    }

    [Fact]
    public void Tensor_missing_from_checkpoint()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.EditTensors("model.safetensors", tensors =>
            tensors.Where(t => t.Name != "model.layers.2.self_attn.k_proj.weight").ToList());

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains(copy.Directory, error.Message);
        Assert.Contains("model.layers.2.self_attn.k_proj.weight", error.Message);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void Tensor_in_index_but_not_in_shard()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        copy.EditTensors("model-00002-of-00002.safetensors", tensors =>
            tensors.Where(t => t.Name != "model.final_layernorm.weight").ToList());

        var error = Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

        Assert.Contains("model-00002-of-00002.safetensors", error.Message);
        Assert.Contains("model.final_layernorm.weight", error.Message);
    }
}
