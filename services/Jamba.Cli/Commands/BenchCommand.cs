using System.CommandLine;
using System.Diagnostics;
using Jamba.Cli.Benchmarking;
using Jamba.Engine;
using Jamba.Engine.Loading;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Jamba.Cli.Commands;

/// <summary><c>jamba bench</c>: prefill and decode throughput, time to first token and memory of one sequence.</summary>
public static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var prompt = CommonOptions.InRange("--prompt", "Prompt length in tokens, prefilled in one call", 128, 1, 1_000_000, "N");
        var generate = CommonOptions.InRange("--generate", "Tokens to decode greedily after the prompt, one per call", 64, 1, 1_000_000, "N");
        var repetitions = CommonOptions.InRange("--repetitions", "Measured repetitions; the report gives their median, min and max", 3, 1, 1000, "N");
        var warmups = CommonOptions.InRange("--warmup", "Unmeasured repetitions first, so the JIT compiles the hot paths", 1, 0, 100, "N");
        var json = new Option<string?>("--json")
        {
            Description = "Also write the figures and every sample as JSON to this file",
            HelpName = "FILE",
        };

        var command = new Command("bench", "Measure prefill and decode tokens/s, time to first token and peak memory")
        {
            model, prompt, generate, repetitions, warmups, json,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var directory = ModelLocator.Resolve(parseResult.GetValue(model));
            var settings = new BenchSettings(
                parseResult.GetValue(prompt), parseResult.GetValue(generate),
                parseResult.GetValue(repetitions), parseResult.GetValue(warmups));
            Run(context, directory, settings, parseResult.GetValue(json), cancellationToken);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static void Run(CliContext context, string directory, BenchSettings settings, string? jsonPath,
        CancellationToken cancellationToken)
    {
        var logger = context.Logging.CreateLogger(typeof(BenchCommand));
        var weights = WeightTypes(directory);
        using var model = JambaModel.Load(directory);
        var runner = new BenchRunner(model, settings);

        var samples = context.Interactive
            ? RunWithProgress(context.Out, runner, settings, logger, cancellationToken)
            : RunPlain(runner, settings, logger, cancellationToken);

        var report = BenchReport.From(directory, weights, settings, MachineInfo.Current(), samples, PeakWorkingSet());
        report.WriteText(context.Out);

        if (jsonPath is not null)
        {
            try
            {
                File.WriteAllText(jsonPath, report.ToJson());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot write --json {jsonPath}: {e.Message}");
            }
        }
    }

    private static List<BenchSample> RunPlain(BenchRunner runner, BenchSettings settings, ILogger logger,
        CancellationToken cancellationToken)
    {
        var samples = new List<BenchSample>();
        for (var i = 0; i < settings.Warmups + settings.Repetitions; i++)
        {
            var sample = runner.Run(_ => { }, cancellationToken);
            Record(samples, sample, i, settings, logger);
        }

        return samples;
    }

    private static List<BenchSample> RunWithProgress(TextWriter output, BenchRunner runner, BenchSettings settings,
        ILogger logger, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var samples = new List<BenchSample>();
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                for (var i = 0; i < settings.Warmups + settings.Repetitions; i++)
                {
                    var name = i < settings.Warmups
                        ? $"warm-up {i + 1}/{settings.Warmups}"
                        : $"repetition {i - settings.Warmups + 1}/{settings.Repetitions}";
                    var task = progress.AddTask(name, maxValue: runner.TokensPerRepetition);
                    var sample = runner.Run(tokens => task.Increment(tokens), cancellationToken);
                    Record(samples, sample, i, settings, logger);
                }
            });
        return samples;
    }

    /// <summary>Keeps the sample unless it belongs to a warm-up.</summary>
    private static void Record(List<BenchSample> samples, BenchSample sample, int index, BenchSettings settings, ILogger logger)
    {
        var warmup = index < settings.Warmups;
        logger.LogInformation(
            "{Phase} {Index}: prefill {PrefillTokensPerSecond:F1} tokens/s, decode {DecodeTokensPerSecond:F1} tokens/s",
            warmup ? "Warm-up" : "Repetition", warmup ? index + 1 : index - settings.Warmups + 1,
            sample.PrefillTokensPerSecond, sample.DecodeTokensPerSecond);
        if (!warmup)
        {
            samples.Add(sample);
        }
    }

    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.PeakWorkingSet64;
    }

    private static string WeightTypes(string directory)
    {
        using var checkpoint = Checkpoint.Open(directory);
        return string.Join(", ", Inspection.ParameterCount.Of(checkpoint).DTypes);
    }
}
