using System.Diagnostics;
using System.Numerics.Tensors;
using Jamba.Engine;

namespace Jamba.Cli.Benchmarking;

/// <summary>What one benchmark run measures.</summary>
public sealed record BenchSettings(int PromptTokens, int GenerateTokens, int Repetitions, int Warmups);

/// <summary>One repetition: a prefill of the prompt in one call, then greedy decode one token per call.</summary>
public sealed record BenchSample(double PrefillTokensPerSecond, double DecodeTokensPerSecond, double TimeToFirstTokenMs, long StateBytes);

/// <summary>Times prefill and decode of one sequence on a loaded model.</summary>
public sealed class BenchRunner(JambaModel model, BenchSettings settings)
{
    /// <summary>Tokens one repetition feeds: the prompt and every decoded token.</summary>
    public int TokensPerRepetition => settings.PromptTokens + settings.GenerateTokens;

    /// <summary>
    /// Runs one repetition on a fresh state. <paramref name="advance"/> receives the number of tokens
    /// fed after each call, for a progress display.
    /// </summary>
    public BenchSample Run(Action<int> advance, CancellationToken cancellationToken)
    {
        var prompt = PromptIds();
        var state = model.CreateState();

        // Time to first token covers the prefill and picking the first new token from its logits.
        var start = Stopwatch.GetTimestamp();
        var next = TensorPrimitives.IndexOfMax(model.Forward(state, prompt));
        var prefill = Stopwatch.GetElapsedTime(start);
        advance(prompt.Length);

        var decodeStart = Stopwatch.GetTimestamp();
        for (var i = 0; i < settings.GenerateTokens; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            next = TensorPrimitives.IndexOfMax(model.Forward(state, [next]));
            advance(1);
        }

        var decode = Stopwatch.GetElapsedTime(decodeStart);

        return new BenchSample(
            prompt.Length / prefill.TotalSeconds,
            settings.GenerateTokens / decode.TotalSeconds,
            prefill.TotalMilliseconds,
            state.ByteCount);
    }

    /// <summary>
    /// BOS followed by ids drawn with a fixed seed, so every repetition and every run sees the same
    /// prompt. Which ids they are changes only the MoE routing, not the amount of work.
    /// </summary>
    private int[] PromptIds()
    {
        var config = model.Config;
        var random = new Random(42);
        var ids = new int[settings.PromptTokens];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(config.VocabSize);
        }

        if (config.BosTokenId is { } bos)
        {
            ids[0] = bos;
        }

        return ids;
    }
}
