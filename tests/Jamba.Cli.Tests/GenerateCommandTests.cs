using System.Text.Json;

namespace Jamba.Cli.Tests;

public class GenerateCommandTests
{
    [Fact]
    public async Task Generate_continues_genesis_greedily()
    {
        var result = await Cli.RunAsync("generate", "In the beginning God created", "--temperature", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.NotEqual("", result.Out.Trim());
    }

    [Fact]
    public async Task Generate_matches_golden_greedy_text()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(Cli.Kjv, "golden.json")));

        foreach (var testCase in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            var prompt = testCase.GetProperty("prompt").GetString()!;
            var maxTokens = testCase.GetProperty("max_new_tokens").GetInt32();
            var expected = testCase.GetProperty("greedy_text").GetString()!;

            var result = await Cli.RunAsync("generate", prompt, "--max-tokens", maxTokens.ToString(), "--temperature", "0");

            Assert.Equal(0, result.ExitCode);
            Assert.Equal(expected + Environment.NewLine, result.Out);
        }
    }

    [Fact]
    public async Task Generate_stops_before_stop_string()
    {
        // Greedy decoding continues this prompt with "See, I have not been a man of God, ...".
        var result = await Cli.RunAsync("generate", "And the LORD said unto Moses,", "--temperature", "0", "--stop", ",");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("See" + Environment.NewLine, result.Out);
    }

    [Fact]
    public async Task Generate_stops_when_cancelled()
    {
        // A dedicated thread cancels, as Ctrl+C's signal thread does: a timer callback would wait for a
        // thread-pool thread, and generation keeps every pool thread busy.
        using var cancellation = new CancellationTokenSource();
        var canceller = new Thread(() =>
        {
            Thread.Sleep(500);
            cancellation.Cancel();
        });
        canceller.Start();

        var result = await Cli.RunAsync(
            ["generate", "In the beginning", "--temperature", "1", "--max-tokens", "1000000", "--ignore-eos"], cancellation.Token);

        canceller.Join();
        Assert.Equal(130, result.ExitCode);
        Assert.Equal("cancelled" + Environment.NewLine, result.Error);
    }

    [Fact]
    public async Task Generate_repeats_with_same_seed()
    {
        string[] args = ["generate", "Blessed are the", "--temperature", "1.2", "--top-k", "50", "--top-p", "0.95",
            "--seed", "7", "--max-tokens", "24", "--ignore-eos"];

        var first = await Cli.RunAsync(args);
        var second = await Cli.RunAsync(args);

        Assert.Equal(0, first.ExitCode);
        Assert.NotEqual("", first.Out.Trim());
        Assert.Equal(first.Out, second.Out);
    }
}
