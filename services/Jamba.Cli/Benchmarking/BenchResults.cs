namespace Jamba.Cli.Benchmarking;

/// <summary>Decode of several sequences at once: tokens/s of each sequence, and of all of them together.</summary>
public sealed record BatchResult(int Batch, Summary PerSequenceTokensPerSecond)
{
    public double AggregateTokensPerSecond => Batch * PerSequenceTokensPerSecond.Median;
}

/// <summary>Decode of one sequence whose state already holds <see cref="Context"/> tokens.</summary>
public sealed record ContextResult(int Context, Summary DecodeTokensPerSecond, long StateBytes);

/// <summary>Time to first token of each turn of a session, as medians over the repetitions.</summary>
public sealed record TurnsResult(IReadOnlyList<Summary> TimeToFirstTokenMs)
{
    /// <summary>The last turn's time to first token over the first turn's.</summary>
    public double LastOverFirst => TimeToFirstTokenMs[^1].Median / TimeToFirstTokenMs[0].Median;
}
