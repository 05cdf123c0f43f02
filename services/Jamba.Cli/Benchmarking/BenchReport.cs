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
            $"batch 1, {Settings.Repetitions} repetitions after {Settings.Warmups} warm-up");
        output.WriteLine();
        output.WriteLine($"{"",-26}{"median",10}{"min",10}{"max",10}{"spread",9}");
        WriteRow(output, "prefill (tokens/s)", PrefillTokensPerSecond);
        WriteRow(output, "decode (tokens/s)", DecodeTokensPerSecond);
        WriteRow(output, "time to first token (ms)", TimeToFirstTokenMs);
        output.WriteLine();
        output.WriteLine($"peak memory          {Format.Bytes(PeakWorkingSetBytes)} (peak working set of the process)");
        output.WriteLine(
            $"state per sequence   {Format.Bytes(StateBytesPerSequence)} after {Settings.PromptTokens + Settings.GenerateTokens} tokens");
    }

    private static void WriteRow(TextWriter output, string label, Summary summary) =>
        output.WriteLine(
            $"{label,-26}{Format.Number(summary.Median),10}{Format.Number(summary.Min),10}{Format.Number(summary.Max),10}" +
            $"{Format.Number(summary.SpreadPercent) + "%",9}");
}
