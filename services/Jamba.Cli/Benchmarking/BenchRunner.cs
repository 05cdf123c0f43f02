using System.Diagnostics;
using System.Numerics.Tensors;
using Jamba.Engine;

namespace Jamba.Cli.Benchmarking;

/// <summary>What one benchmark run measures.</summary>
/// <param name="Batches">Sequence counts decoded together; 1 is the single-sequence run.</param>
/// <param name="Contexts">Context lengths at which one sequence's decode speed is measured; empty skips it.</param>
/// <param name="Turns">Session turns whose time to first token is compared; 0 skips it.</param>
public sealed record BenchSettings(int PromptTokens, int GenerateTokens, int Repetitions, int Warmups)
{
    public IReadOnlyList<int> Batches { get; init; } = [1];

    public IReadOnlyList<int> Contexts { get; init; } = [];

    public int Turns { get; init; }

    public string Weights { get; init; } = "stored";

    public int Threads { get; init; } = Environment.ProcessorCount;
}

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
    /// Decodes <paramref name="batch"/> sequences together, one token each per step, after a short
    /// batched prefill. Returns tokens/s per sequence; the aggregate is that times the batch.
    /// </summary>
    public double RunBatch(int batch, Action<int> advance, CancellationToken cancellationToken)
    {
        var states = Enumerable.Range(0, batch).Select(_ => model.CreateState()).ToArray();
        var prompts = Enumerable.Range(0, batch).Select(s => PromptIds(BatchPromptTokens, seed: s)).ToArray();
        var next = NextTokens(model.ForwardBatch(states, prompts), batch);

        var start = Stopwatch.GetTimestamp();
        for (var step = 0; step < settings.GenerateTokens; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            next = NextTokens(model.ForwardBatch(states, next), batch);
            advance(batch);
        }

        return settings.GenerateTokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Prompt length of each sequence in a batched decode run: long enough to fill the conv windows.</summary>
    public const int BatchPromptTokens = 16;

    /// <summary>
    /// Decodes one sequence whose state already holds <paramref name="context"/> tokens. The KV caches
    /// and Mamba states are filled with random values of the right size instead of a real prefill,
    /// because decode time depends on the cache length, not on its contents.
    /// </summary>
    public (double TokensPerSecond, long StateBytes) RunAtContext(int context, Action<int> advance, CancellationToken cancellationToken)
    {
        var state = SyntheticState(context);
        var next = new[] { model.Config.BosTokenId ?? 0 };

        var start = Stopwatch.GetTimestamp();
        for (var step = 0; step < settings.GenerateTokens; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            next = [TensorPrimitives.IndexOfMax(model.Forward(state, next))];
            advance(1);
        }

        return (settings.GenerateTokens / Stopwatch.GetElapsedTime(start).TotalSeconds, state.ByteCount);
    }

    /// <summary>
    /// Runs a session over several turns, each a short prompt on top of the kept state followed by a
    /// short greedy answer, and returns each turn's time to first token in milliseconds.
    /// </summary>
    public double[] RunTurns(int turns, Action<int> advance, CancellationToken cancellationToken)
    {
        const int turnPromptTokens = 16;
        const int turnAnswerTokens = 16;
        var state = model.CreateState();
        var times = new double[turns];
        for (var turn = 0; turn < turns; turn++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            var next = TensorPrimitives.IndexOfMax(model.Forward(state, PromptIds(turnPromptTokens, seed: turn)));
            times[turn] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            for (var i = 0; i < turnAnswerTokens; i++)
            {
                next = TensorPrimitives.IndexOfMax(model.Forward(state, [next]));
            }

            advance(turnPromptTokens + turnAnswerTokens);
        }

        return times;
    }

    private Engine.State.SequenceState SyntheticState(int context)
    {
        var random = new Random(7);
        var state = model.CreateState();
        foreach (var layer in state.Layers)
        {
            switch (layer)
            {
                case Engine.State.AttentionCache cache:
                    const int chunk = 1024;
                    var keys = new float[chunk * cache.KvWidth];
                    var values = new float[chunk * cache.KvWidth];
                    for (var filled = 0; filled < context; filled += chunk)
                    {
                        Fill(random, keys);
                        Fill(random, values);
                        cache.Append(keys, values, Math.Min(chunk, context - filled));
                    }

                    break;
                case Engine.State.MambaCache cache:
                    Fill(random, cache.ConvWindow);
                    Fill(random, cache.Ssm);
                    break;
            }
        }

        state.Position = context;
        return state;
    }

    private static void Fill(Random random, float[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextSingle() - 0.5f;
        }
    }

    private static int[][] NextTokens(float[] logits, int batch)
    {
        var vocab = logits.Length / batch;
        return Enumerable.Range(0, batch)
            .Select(s => new[] { TensorPrimitives.IndexOfMax(logits.AsSpan(s * vocab, vocab)) })
            .ToArray();
    }

    /// <summary>
    /// BOS followed by ids drawn with a fixed seed, so every repetition and every run sees the same
    /// prompt. Which ids they are changes only the MoE routing, not the amount of work.
    /// </summary>
    private int[] PromptIds() => PromptIds(settings.PromptTokens, seed: 42);

    private int[] PromptIds(int length, int seed)
    {
        var config = model.Config;
        var random = new Random(seed);
        var ids = new int[length];
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
