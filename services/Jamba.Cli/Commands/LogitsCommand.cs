using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics.Tensors;
using Jamba.Engine;
using Jamba.Engine.Loading;
using Microsoft.Extensions.Logging;

namespace Jamba.Cli.Commands;

/// <summary>
/// <c>jamba logits</c>: writes the logits of a prefill and of greedy decode steps to a safetensors
/// file laid out like the golden files, so that another Jamba implementation can be compared with this one.
/// </summary>
public static class LogitsCommand
{
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var ids = new Option<int[]>("--ids")
        {
            Description = "Prompt token ids, comma-separated, fed in one call on an empty state",
            HelpName = "ID,ID,...",
            Required = true,
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = ParseIds,
        };
        var decode = CommonOptions.InRange("--decode", "Greedy decode steps after the prefill, one token per call",
            0, 0, 100_000, "N");
        var output = new Option<string>("--output", "-o")
        {
            Description = "safetensors file to write: prefill.ids, prefill.logits and, with --decode, decode.ids and decode.logits",
            HelpName = "FILE",
            Required = true,
        };

        var command = new Command("logits", "Write prefill and greedy decode logits to a safetensors file")
        {
            model, ids, decode, output,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var directory = ModelLocator.Resolve(parseResult.GetValue(model));
            Run(context, directory, parseResult.GetValue(ids)!, parseResult.GetValue(decode), parseResult.GetValue(output)!,
                cancellationToken);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static void Run(CliContext context, string directory, int[] ids, int steps, string outputPath,
        CancellationToken cancellationToken)
    {
        var logger = context.Logging.CreateLogger(typeof(LogitsCommand));
        using var model = JambaModel.Load(directory);
        var vocab = model.Config.VocabSize;
        CheckIds(model, ids);
        if ((long)Math.Max(ids.Length, steps) * vocab > Array.MaxLength)
        {
            throw new CliException($"{Math.Max(ids.Length, steps)} rows of {vocab} logits do not fit in one array; use fewer ids or --decode steps");
        }

        var writer = new SafeTensorWriter();
        writer.SetMetadata("model", Path.GetFullPath(directory));
        writer.SetMetadata("producer", "jamba logits");

        var state = model.CreateState();
        var prefill = model.Forward(state, ids, allLogits: true);
        writer.AddI64("prefill.ids", ids.Select(id => (long)id).ToArray(), ids.Length);
        writer.AddF32("prefill.logits", prefill, ids.Length, vocab);
        logger.LogInformation("Prefilled {Tokens} tokens of {Model}", ids.Length, directory);

        if (steps > 0)
        {
            var (decodeIds, decodeLogits) = DecodeGreedy(model, state, prefill.AsSpan((ids.Length - 1) * vocab), steps, cancellationToken);
            writer.AddI64("decode.ids", decodeIds, steps);
            writer.AddF32("decode.logits", decodeLogits, steps, vocab);
        }

        try
        {
            writer.Save(outputPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write --output {outputPath}: {e.Message}");
        }

        var decoded = steps > 0 ? $", decode.logits [{steps}, {vocab}]" : "";
        context.Out.WriteLine($"wrote {outputPath}: prefill.logits [{ids.Length}, {vocab}]{decoded}");
    }

    /// <summary>
    /// Feeds one token per call: the token at step k is the argmax of the logits before it, so step 0
    /// takes the argmax of the prefill's last row.
    /// </summary>
    private static (long[] Ids, float[] Logits) DecodeGreedy(JambaModel model, Engine.State.SequenceState state,
        ReadOnlySpan<float> lastLogits, int steps, CancellationToken cancellationToken)
    {
        var vocab = model.Config.VocabSize;
        var ids = new long[steps];
        var logits = new float[steps * vocab];
        var next = TensorPrimitives.IndexOfMax(lastLogits);

        for (var step = 0; step < steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ids[step] = next;
            var row = model.Forward(state, [next]);
            row.CopyTo(logits.AsSpan(step * vocab, vocab));
            next = TensorPrimitives.IndexOfMax(row);
        }

        return (ids, logits);
    }

    private static void CheckIds(JambaModel model, int[] ids)
    {
        try
        {
            model.CheckTokens(ids);
        }
        catch (InvalidTokenException e)
        {
            throw new CliException($"--ids: {e.Message} of {model.Directory}");
        }
    }

    private static int[]? ParseIds(ArgumentResult result)
    {
        var text = string.Join(",", result.Tokens.Select(token => token.Value));
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ids[i]))
            {
                result.AddError($"--ids: '{parts[i]}' is not a token id; expected comma-separated integers such as 1,17,42");
                return null;
            }
        }

        return ids;
    }
}
