using System.CommandLine;
using Jamba.Engine.Loading;
using Jamba.Kernels;
using Spectre.Console;

namespace Jamba.Cli.Commands;

/// <summary><c>jamba init</c>: a random-weight checkpoint with the layer shapes of a real Jamba, for sizing and benchmarks.</summary>
public static class InitCommand
{
    public static Command Create(CliContext context)
    {
        var shape = new Option<string>("--shape")
        {
            Description = $"Layer shapes to copy: {string.Join(", ", ModelShape.Known.Select(s => s.Name))}",
            Required = true,
            HelpName = "NAME",
        };
        var layers = CommonOptions.InRange("--layers", "Number of layers; defaults to the shape's own", 0, 0, 1024, "N");
        var attentionPeriod = CommonOptions.InRange("--attn-period",
            "attn_layer_period; 1 makes every layer attention (offset 0), for comparing with a Transformer", 0, 0, 1024, "N");
        var dtype = new Option<string>("--dtype")
        {
            Description = "Stored weight type: bf16 or f32",
            DefaultValueFactory = _ => "bf16",
            HelpName = "bf16|f32",
        };
        var seed = CommonOptions.InRange("--seed", "Seed of the random weights", 0, 0, int.MaxValue, "N");
        var output = new Option<string>("--out")
        {
            Description = "Folder to write config.json and model.safetensors into",
            Required = true,
            HelpName = "DIR",
        };

        var command = new Command("init", "Write a random-weight checkpoint with the layer shapes of a real Jamba")
        {
            shape, layers, attentionPeriod, dtype, seed, output,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var chosen = ResolveShape(parseResult.GetValue(shape)!, parseResult.GetValue(layers), parseResult.GetValue(attentionPeriod));
            var type = parseResult.GetValue(dtype) switch
            {
                "bf16" => DType.BF16,
                "f32" => DType.F32,
                var other => throw new CliException($"--dtype must be bf16 or f32, got '{other}'"),
            };
            var directory = parseResult.GetValue(output)!;
            Write(context, chosen, directory, type, parseResult.GetValue(seed));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static ModelShape ResolveShape(string name, int layers, int attentionPeriod)
    {
        ModelShape shape;
        try
        {
            shape = ModelShape.Find(name);
        }
        catch (ArgumentException e)
        {
            throw new CliException($"--shape: {e.Message}");
        }

        if (layers > 0)
        {
            shape = shape with { NumHiddenLayers = layers };
        }

        if (attentionPeriod > 0)
        {
            shape = shape with { AttnLayerPeriod = attentionPeriod, AttnLayerOffset = Math.Min(shape.AttnLayerOffset, attentionPeriod - 1) };
        }

        return shape;
    }

    private static void Write(CliContext context, ModelShape shape, string directory, DType type, int seed)
    {
        long parameters = 0;
        void Generate(IProgress<double>? progress)
        {
            try
            {
                parameters = CheckpointGenerator.Write(shape, directory, type, seed, progress);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot write --out {directory}: {e.Message}");
            }
        }

        if (context.Interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
            console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(progress =>
                {
                    var task = progress.AddTask("writing weights", maxValue: 1);
                    Generate(new Progress<double>(fraction => task.Value = fraction));
                });
        }
        else
        {
            Generate(null);
        }

        context.Out.WriteLine(
            $"wrote {directory}: shape {shape.Name}, {shape.NumHiddenLayers} layers, attn_layer_period {shape.AttnLayerPeriod}, " +
            $"{Format.Count(parameters)} parameters ({Format.Scaled(parameters)}), {type}");
    }
}
