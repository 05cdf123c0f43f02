using System.Text.Json;

namespace Jamba.Cli.Tests;

public class BenchCommandTests
{
    [Fact]
    public async Task Bench_reports_positive_figures()
    {
        using var temp = Cli.CreateTempFolder();
        var json = temp.File("bench.json");

        var result = await Cli.RunAsync("bench", "--model", Cli.TinyMoe,
            "--prompt", "8", "--generate", "4", "--repetitions", "1", "--json", json);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains("prefill (tokens/s)", result.Out);
        Assert.Contains("decode (tokens/s)", result.Out);
        Assert.Contains("time to first token (ms)", result.Out);
        Assert.Contains("peak memory", result.Out);

        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var root = report.RootElement;
        Assert.True(root.GetProperty("prefill_tokens_per_second").GetProperty("median").GetDouble() > 0);
        Assert.True(root.GetProperty("decode_tokens_per_second").GetProperty("median").GetDouble() > 0);
        Assert.True(root.GetProperty("time_to_first_token_ms").GetProperty("median").GetDouble() > 0);
        Assert.Single(root.GetProperty("decode_tokens_per_second").GetProperty("samples").EnumerateArray());
        Assert.True(root.GetProperty("peak_working_set_bytes").GetInt64() > 0);
        Assert.True(root.GetProperty("machine").GetProperty("logical_cores").GetInt32() > 0);

        // After 8 + 4 tokens: 2 attention layers keep K and V of 2 x 16 floats per token, 6 Mamba layers a fixed state.
        Assert.Equal(6L * (4 * 128 + 128 * 16) * 4 + 12L * 2 * (2 * 2 * 16 * 4), root.GetProperty("state_bytes_per_sequence").GetInt64());
    }
}

public class BenchOptionsTests
{
    [Fact]
    public async Task Bench_measures_batches_contexts_and_turns()
    {
        using var temp = Cli.CreateTempFolder();
        var json = temp.File("bench.json");

        var result = await Cli.RunAsync("bench", "--model", Cli.TinyMoe, "--prompt", "8", "--generate", "4",
            "--repetitions", "1", "--warmup", "0", "--weights", "int8", "--threads", "1",
            "--batch", "1,4", "--context", "64,256", "--turns", "3", "--json", json);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains("batched decode", result.Out);
        Assert.Contains("weights int8", result.Out);
        Assert.Contains("weights in memory", result.Out);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var root = report.RootElement;
        var batches = root.GetProperty("batches").EnumerateArray().ToList();
        Assert.Equal([1, 4], batches.Select(b => b.GetProperty("batch").GetInt32()));
        Assert.All(batches, b => Assert.True(b.GetProperty("aggregate_tokens_per_second").GetDouble() > 0));
        var contexts = root.GetProperty("contexts").EnumerateArray().ToList();
        Assert.Equal([64, 256], contexts.Select(c => c.GetProperty("context").GetInt32()));

        // Two attention layers of tiny-moe keep 2 x 2 KV heads x 16 floats per token; the Mamba state is fixed.
        var perToken = 2L * 2 * 2 * 16 * 4;
        Assert.Equal(192 * perToken, contexts[1].GetProperty("state_bytes").GetInt64() - contexts[0].GetProperty("state_bytes").GetInt64());
        Assert.Equal(3, root.GetProperty("turns").GetProperty("time_to_first_token_ms").GetArrayLength());
    }

    [Theory]
    [InlineData("--batch", "1,0")]
    [InlineData("--batch", "x")]
    [InlineData("--context", "-5")]
    [InlineData("--weights", "int4")]
    [InlineData("--threads", "0")]
    public async Task Bench_rejects_invalid_option(string option, string value)
    {
        var result = await Cli.RunAsync("bench", "--model", Cli.TinyMoe, option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Error);
    }
}

public class InitCommandTests
{
    [Fact]
    public async Task Init_writes_loadable_checkpoint()
    {
        using var temp = Cli.CreateTempFolder();
        var output = temp.File("tiny");

        var result = await Cli.RunAsync("init", "--shape", "tiny", "--layers", "3", "--out", output);
        var inspect = await Cli.RunAsync("inspect", "--model", output);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("3 layers", result.Out);
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("3 layers: 0 attention, 3 Mamba", inspect.Out);
    }

    [Fact]
    public async Task Init_all_attention_variant()
    {
        using var temp = Cli.CreateTempFolder();
        var output = temp.File("tiny-attention");

        var result = await Cli.RunAsync("init", "--shape", "tiny", "--layers", "2", "--attn-period", "1", "--dtype", "f32", "--out", output);
        var inspect = await Cli.RunAsync("inspect", "--model", output);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("2 layers: 2 attention, 0 Mamba", inspect.Out);
        Assert.Contains("F32", inspect.Out);
    }

    [Theory]
    [InlineData("--shape", "huge", "unknown shape 'huge'")]
    [InlineData("--dtype", "f16", "--dtype must be bf16 or f32")]
    public async Task Init_rejects_invalid_option(string option, string value, string message)
    {
        using var temp = Cli.CreateTempFolder();
        string[] args = option == "--shape"
            ? ["init", "--shape", value, "--out", temp.File("x")]
            : ["init", "--shape", "tiny", option, value, "--out", temp.File("x")];

        var result = await Cli.RunAsync(args);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error);
    }
}

public class InspectPlacementTests
{
    [Fact]
    public async Task Inspect_prints_plan_for_cluster_size()
    {
        var result = await Cli.RunAsync("inspect", "--model", Cli.TinyMoe, "--nodes", "3");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Placement plan (3 node(s))", result.Out);
        Assert.Contains("node 3: roles", result.Out);
    }
}
