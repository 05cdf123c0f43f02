namespace Jamba.Cli.Tests;

public class ErrorTests
{
    public static TheoryData<string[], int, string> Cases()
    {
        var moe = Cli.TinyMoe;
        var missing = Path.Combine(Cli.RepositoryRoot, "no-such-model");
        var notAModel = Path.Combine(Cli.RepositoryRoot, "tests");
        var output = Path.Combine(Path.GetTempPath(), "jamba-cli-never-written.safetensors");
        return new()
        {
            { ["inspect", "--model", missing], 1, "model folder not found" },
            { ["inspect", "--model", notAModel], 1, "config.json: file not found" },
            { ["logits", "--model", missing, "--ids", "1", "--output", output], 1, "model folder not found" },
            { ["logits", "--model", moe, "--ids", "1,x", "--output", output], 2, "--ids: 'x' is not a token id" },
            { ["logits", "--model", moe, "--ids", "1,,2", "--output", output], 2, "--ids: '' is not a token id" },
            { ["logits", "--model", moe, "--ids", "1,256", "--output", output], 1, "token id 256 is outside the vocabulary [0, 256)" },
            { ["logits", "--model", moe, "--ids", "-1", "--output", output], 1, "token id -1 is outside the vocabulary" },
            { ["logits", "--model", moe, "--ids", "1", "--decode", "-1", "--output", output], 2, "--decode must be between 0 and" },
            { ["logits", "--model", moe, "--ids", "1"], 2, "'--output' is required" },
            { ["logits", "--model", moe, "--output", output], 2, "'--ids' is required" },
            { ["logits", "--model", moe, "--ids", "1", "--output", Path.Combine(Cli.RepositoryRoot, "no-such-folder", "x")], 1, "cannot write --output" },
            { ["bench", "--model", moe, "--prompt", "0"], 2, "--prompt must be between 1 and" },
            { ["bench", "--model", moe, "--generate", "many"], 2, "--generate: 'many' is not an integer" },
            { ["bench", "--model", moe, "--warmup", "1.5"], 2, "--warmup: '1.5' is not an integer" },
            { ["bench", "--model", moe, "--repetitions", "0"], 2, "--repetitions must be between 1 and" },
            { ["generate", "--model", moe, "In the beginning"], 1, "tokenizer.model: file not found" },
            { ["generate", "--model", missing, "In the beginning"], 1, "model folder not found" },
            { ["generate", "--model", moe], 2, "Required argument missing" },
            { ["generate", "--model", moe, "x", "--top-p", "0"], 2, "--top-p must be greater than 0 and at most 1, got 0" },
            { ["generate", "--model", moe, "x", "--temperature", "-1"], 2, "--temperature must be between 0 and 100, got -1" },
            { ["generate", "--model", moe, "x", "--max-tokens", "0"], 2, "--max-tokens must be between 1 and" },
            { ["generate", "--model", moe, "x", "--seed", "minus"], 2, "--seed" },
            { ["inspect", "--no-such-option"], 2, "--no-such-option" },
            { ["no-such-command"], 2, "Unrecognized command or argument 'no-such-command'" },
            { [], 2, "no command given" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Error_prints_one_line_and_exit_code(string[] args, int exitCode, string message)
    {
        var result = await Cli.RunAsync(args);

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.StartsWith("error: ", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", result.Out);
    }
}
