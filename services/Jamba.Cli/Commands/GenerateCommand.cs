using System.CommandLine;
using System.Diagnostics;
using Jamba.Engine;
using Jamba.Engine.Generation;
using Jamba.Engine.Sampling;
using Jamba.Engine.Tokenization;
using Microsoft.Extensions.Logging;

namespace Jamba.Cli.Commands;

/// <summary><c>jamba generate</c>: continues a prompt, writing the text to stdout as each token is decoded.</summary>
public static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var prompt = new Argument<string>("prompt")
        {
            Description = "Text to continue; the tokenizer adds BOS when tokenizer_config.json asks for it",
        };
        var maxTokens = CommonOptions.InRange("--max-tokens", "Maximum number of tokens to generate", 128, 1, 1_000_000, "N");
        var temperature = CommonOptions.InRange("--temperature", "Sampling temperature; 0 picks the most likely token (greedy)",
            0f, 0f, 100f, "T");
        var topK = CommonOptions.InRange("--top-k", "Sample from the K most likely tokens only; 0 keeps all", 0, 0, int.MaxValue, "K");
        var topP = CommonOptions.InRange("--top-p", "Sample from the smallest set of tokens whose probabilities add up to P",
            1f, 0f, 1f, "P", minExclusive: true);
        var seed = new Option<ulong?>("--seed")
        {
            Description = "Seed of the sampler, so that a sampled continuation can be repeated",
            HelpName = "S",
        };
        var stop = new Option<string[]>("--stop")
        {
            Description = "Stop before this text; repeat the option for several stop strings",
            HelpName = "STR",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var ignoreEos = new Option<bool>("--ignore-eos")
        {
            Description = "Keep generating after the end-of-sequence token instead of stopping",
        };

        var command = new Command("generate", "Continue a prompt, streaming the text as it is generated")
        {
            model, prompt, maxTokens, temperature, topK, topP, seed, stop, ignoreEos,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = ModelLocator.Resolve(parseResult.GetValue(model));
            var options = new GenerationOptions
            {
                MaxNewTokens = parseResult.GetValue(maxTokens),
                Sampling = new SamplingOptions
                {
                    Temperature = parseResult.GetValue(temperature),
                    TopK = parseResult.GetValue(topK),
                    TopP = parseResult.GetValue(topP),
                    Seed = parseResult.GetValue(seed),
                },
                StopStrings = parseResult.GetValue(stop) ?? [],
                StopAtEos = !parseResult.GetValue(ignoreEos),
            };
            await RunAsync(context, directory, parseResult.GetValue(prompt)!, options, cancellationToken);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task RunAsync(CliContext context, string directory, string prompt, GenerationOptions options,
        CancellationToken cancellationToken)
    {
        var logger = context.Logging.CreateLogger(typeof(GenerateCommand));
        using var model = JambaModel.Load(directory);
        var tokenizer = JambaTokenizer.Load(directory);
        var promptIds = tokenizer.Encode(prompt);
        if (promptIds.Length == 0)
        {
            throw new CliException($"the prompt is empty and the tokenizer of {directory} adds no BOS; give some prompt text");
        }

        var generator = new Generator(model, tokenizer);
        var state = model.CreateState();
        var start = Stopwatch.GetTimestamp();
        var generated = 0;
        string? finishReason = null;

        foreach (var step in generator.Generate(state, promptIds, options, cancellationToken))
        {
            await context.Out.WriteAsync(step.Text);
            await context.Out.FlushAsync(cancellationToken);
            generated++;
            finishReason = step.FinishReason;
        }

        await context.Out.WriteLineAsync();

        var elapsed = Stopwatch.GetElapsedTime(start);
        logger.LogInformation(
            "Generated {Tokens} tokens after a {PromptTokens}-token prompt in {Seconds:F2} s ({TokensPerSecond:F1} tokens/s), finish reason {FinishReason}",
            generated, promptIds.Length, elapsed.TotalSeconds, generated / elapsed.TotalSeconds, finishReason);
    }
}
