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
