using System.CommandLine;
using System.Diagnostics;
using Jamba.Cli.Benchmarking;
using Jamba.Engine;
using Jamba.Engine.Loading;
using Jamba.Kernels;
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
        var weights = new Option<WeightFormat>("--weights")
        {
            Description = "Weight type kept in memory: stored (as in the checkpoint), f32, bf16 or int8 (blocks of 32 with an F16 scale)",
            DefaultValueFactory = _ => WeightFormat.Stored,
            HelpName = "stored|f32|bf16|int8",
        };
        var threads = CommonOptions.InRange("--threads", "Threads each kernel call may use; defaults to the logical processor count",
            Environment.ProcessorCount, 1, 1024, "N");
        var batch = CommonOptions.IntList("--batch", "Comma-separated numbers of sequences decoded together, e.g. 1,4,16,64", [1], min: 1);
        var contexts = CommonOptions.IntList("--context",
            "Comma-separated context lengths in tokens at which to measure one sequence's decode, e.g. 4096,32768", [], min: 1);
        var turns = CommonOptions.InRange("--turns", "Session turns whose time to first token is compared; 0 skips this measurement",
            0, 0, 1000, "N");
        var json = new Option<string?>("--json")
        {
            Description = "Also write the figures and every sample as JSON to this file",
            HelpName = "FILE",
        };

        var command = new Command("bench", "Measure prefill and decode tokens/s, time to first token and peak memory")
        {
            model, prompt, generate, repetitions, warmups, weights, threads, batch, contexts, turns, json,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var directory = ModelLocator.Resolve(parseResult.GetValue(model));
            var settings = new BenchSettings(
                parseResult.GetValue(prompt), parseResult.GetValue(generate),
                parseResult.GetValue(repetitions), parseResult.GetValue(warmups))
            {
                Weights = parseResult.GetValue(weights).ToString().ToLowerInvariant(),
                Threads = parseResult.GetValue(threads),
                Batches = parseResult.GetValue(batch)!,
                Contexts = parseResult.GetValue(contexts)!,
                Turns = parseResult.GetValue(turns),
            };
            var format = parseResult.GetValue(weights);
            var defaultThreads = Parallelism.Threads;
            Parallelism.Threads = settings.Threads;
            try
            {
                Run(context, directory, format, settings, parseResult.GetValue(json), cancellationToken);
            }
            finally
            {
                Parallelism.Threads = defaultThreads;
            }

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static void Run(CliContext context, string directory, WeightFormat format, BenchSettings settings, string? jsonPath,
        CancellationToken cancellationToken)
    {
        var logger = context.Logging.CreateLogger(typeof(BenchCommand));
        var storedTypes = WeightTypes(directory);
        var backend = new CpuBackend(format);
        using var model = JambaModel.Load(directory, backend: backend);
        var runner = new BenchRunner(model, settings);
        var measurements = Measurements(runner, settings);

        var results = context.Interactive
            ? RunWithProgress(context.Out, measurements, settings, logger, cancellationToken)
            : RunPlain(measurements, settings, logger, cancellationToken);

        var weights = format == WeightFormat.Stored ? storedTypes : $"{settings.Weights}, converted from {storedTypes}";
        var samples = results[0].Cast<BenchSample>().ToList();
        var report = BenchReport.From(directory, weights, settings, MachineInfo.Current(), samples, PeakWorkingSet()) with
        {
            WeightBytes = backend.WeightBytes,
            Batches = settings.Batches.Select((size, i) => new BatchResult(size, Summary.Of(Doubles(results[1 + i])))).ToList(),
            Contexts = settings.Contexts.Select((length, i) =>
            {
                var runs = results[1 + settings.Batches.Count + i].Cast<(double TokensPerSecond, long StateBytes)>().ToList();
                return new ContextResult(length, Summary.Of(runs.Select(r => r.TokensPerSecond).ToArray()), runs[^1].StateBytes);
            }).ToList(),
            Turns = settings.Turns == 0 ? null : TurnsOf(results[^1].Cast<double[]>().ToList(), settings.Turns),
        };
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

    /// <summary>One kind of measurement: its label, the tokens one repetition feeds, and the run itself.</summary>
    private sealed record Measurement(string Name, int TokensPerRepetition, Func<Action<int>, CancellationToken, object> Run);

    private static List<Measurement> Measurements(BenchRunner runner, BenchSettings settings)
    {
        var measurements = new List<Measurement>
        {
            new("prefill and decode", runner.TokensPerRepetition, (advance, token) => runner.Run(advance, token)),
        };
        measurements.AddRange(settings.Batches.Select(size => new Measurement(
            $"batch {size}", size * settings.GenerateTokens, (advance, token) => runner.RunBatch(size, advance, token))));
        measurements.AddRange(settings.Contexts.Select(length => new Measurement(
            $"context {length}", settings.GenerateTokens, (advance, token) => runner.RunAtContext(length, advance, token))));
        if (settings.Turns > 0)
        {
            measurements.Add(new Measurement($"{settings.Turns} turns", settings.Turns * 32, (advance, token) => runner.RunTurns(settings.Turns, advance, token)));
        }

        return measurements;
    }

    private static double[] Doubles(List<object> runs) => runs.Cast<double>().ToArray();

    private static TurnsResult TurnsOf(List<double[]> runs, int turns) =>
        new(Enumerable.Range(0, turns).Select(turn => Summary.Of(runs.Select(run => run[turn]).ToArray())).ToList());

    private static List<List<object>> RunPlain(List<Measurement> measurements, BenchSettings settings, ILogger logger,
        CancellationToken cancellationToken)
    {
        var results = new List<List<object>>();
        foreach (var measurement in measurements)
        {
            var kept = new List<object>();
            for (var i = 0; i < settings.Warmups + settings.Repetitions; i++)
            {
                var result = measurement.Run(_ => { }, cancellationToken);
                Record(kept, measurement.Name, result, i, settings, logger);
            }

            results.Add(kept);
        }

        return results;
    }

    private static List<List<object>> RunWithProgress(TextWriter output, List<Measurement> measurements, BenchSettings settings,
        ILogger logger, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var results = new List<List<object>>();
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                foreach (var measurement in measurements)
                {
                    var kept = new List<object>();
                    var task = progress.AddTask(measurement.Name,
                        maxValue: (double)measurement.TokensPerRepetition * (settings.Warmups + settings.Repetitions));
                    for (var i = 0; i < settings.Warmups + settings.Repetitions; i++)
                    {
                        var result = measurement.Run(tokens => task.Increment(tokens), cancellationToken);
                        Record(kept, measurement.Name, result, i, settings, logger);
                    }

                    results.Add(kept);
                }
            });
        return results;
    }

    /// <summary>Keeps the result unless it belongs to a warm-up.</summary>
    private static void Record(List<object> kept, string name, object result, int index, BenchSettings settings, ILogger logger)
    {
        var warmup = index < settings.Warmups;
        logger.LogInformation("{Measurement}, {Phase} {Index}: {Result}", name,
            warmup ? "warm-up" : "repetition", warmup ? index + 1 : index - settings.Warmups + 1, result);
        if (!warmup)
        {
            kept.Add(result);
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
