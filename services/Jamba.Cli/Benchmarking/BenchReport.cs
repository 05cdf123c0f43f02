using System.Text.Json;

namespace Jamba.Cli.Benchmarking;

/// <summary>The figures of one <c>jamba bench</c> run, printed as a table or saved as JSON.</summary>
public sealed record BenchReport(
    string Model,
    string Weights,
    BenchSettings Settings,
    MachineInfo Machine,
    Summary PrefillTokensPerSecond,
    Summary DecodeTokensPerSecond,
    Summary TimeToFirstTokenMs,
    long PeakWorkingSetBytes,
    long StateBytesPerSequence)
{
    /// <summary>Bytes of the weight matrices as kept in memory (mapped or converted).</summary>
    public long WeightBytes { get; init; }

    public IReadOnlyList<BatchResult> Batches { get; init; } = [];

    public IReadOnlyList<ContextResult> Contexts { get; init; } = [];

    public TurnsResult? Turns { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static BenchReport From(string model, string weights, BenchSettings settings, MachineInfo machine,
        IReadOnlyList<BenchSample> samples, long peakWorkingSet) => new(
        model,
        weights,
        settings,
        machine,
        Summary.Of(samples.Select(s => s.PrefillTokensPerSecond).ToArray()),
        Summary.Of(samples.Select(s => s.DecodeTokensPerSecond).ToArray()),
        Summary.Of(samples.Select(s => s.TimeToFirstTokenMs).ToArray()),
        peakWorkingSet,
        samples[^1].StateBytes);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void WriteText(TextWriter output)
    {
        output.WriteLine($"model      {Model} ({Weights})");
        output.WriteLine($"machine    {Machine}");
        output.WriteLine(
            $"settings   prompt {Settings.PromptTokens} tokens, generate {Settings.GenerateTokens} tokens, " +
            $"{Settings.Repetitions} repetitions after {Settings.Warmups} warm-up, weights {Settings.Weights}, {Settings.Threads} threads");
        output.WriteLine();
        output.WriteLine($"{"",-26}{"median",10}{"min",10}{"max",10}{"spread",9}");
        WriteRow(output, "prefill (tokens/s)", PrefillTokensPerSecond);
        WriteRow(output, "decode (tokens/s)", DecodeTokensPerSecond);
        WriteRow(output, "time to first token (ms)", TimeToFirstTokenMs);
        output.WriteLine();
        output.WriteLine($"weights in memory    {Format.Bytes(WeightBytes)}");
        output.WriteLine($"peak memory          {Format.Bytes(PeakWorkingSetBytes)} (peak working set of the process)");
        output.WriteLine(
            $"state per sequence   {Format.Bytes(StateBytesPerSequence)} after {Settings.PromptTokens + Settings.GenerateTokens} tokens");

        if (Batches.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"batched decode ({Settings.GenerateTokens} steps after a {BenchRunner.BatchPromptTokens}-token prompt each)");
            output.WriteLine($"{"  batch",-10}{"tokens/s per sequence",24}{"aggregate tokens/s",20}{"x batch 1",11}");
            var single = Batches.FirstOrDefault(b => b.Batch == 1)?.AggregateTokensPerSecond;
            foreach (var batch in Batches)
            {
                var speedup = single is { } baseline ? Format.Number(batch.AggregateTokensPerSecond / baseline) : "";
                output.WriteLine(
                    $"  {batch.Batch,-8}{Format.Number(batch.PerSequenceTokensPerSecond.Median),24}{Format.Number(batch.AggregateTokensPerSecond),20}{speedup,11}");
            }
        }

        if (Contexts.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("decode at a given context (state filled to that length)");
            output.WriteLine($"{"  context",-12}{"tokens/s",12}   state bytes");
            foreach (var context in Contexts)
            {
                output.WriteLine($"  {context.Context,-10}{Format.Number(context.DecodeTokensPerSecond.Median),12}   {Format.Bytes(context.StateBytes)}");
            }
        }

        if (Turns is { } turns)
        {
            output.WriteLine();
            output.WriteLine($"session turns (16-token prompt and 16-token answer each, on the kept state)");
            output.WriteLine($"  time to first token, turn 1     {Format.Number(turns.TimeToFirstTokenMs[0].Median)} ms");
            output.WriteLine($"  time to first token, turn {turns.TimeToFirstTokenMs.Count,-5}{Format.Number(turns.TimeToFirstTokenMs[^1].Median)} ms");
            output.WriteLine($"  last turn / first turn          {Format.Number(turns.LastOverFirst)}");
        }
    }

    private static void WriteRow(TextWriter output, string label, Summary summary) =>
        output.WriteLine(
            $"{label,-26}{Format.Number(summary.Median),10}{Format.Number(summary.Min),10}{Format.Number(summary.Max),10}" +
            $"{Format.Number(summary.SpreadPercent) + "%",9}");
}
