namespace Jamba.Engine.Sampling;

/// <summary>
/// How the next token is drawn from the logits. Temperature 0 means greedy (argmax); otherwise the
/// logits are divided by the temperature, cut to the top-k and then to the top-p nucleus, and sampled
/// with a generator seeded by <see cref="Seed"/> so that a run can be repeated.
/// </summary>
public sealed record SamplingOptions
{
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probabilities sum to at least p; 1 keeps all.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seed of the sampler's random generator; null draws one at random.</summary>
    public ulong? Seed { get; init; }

    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be a finite number >= 0");
        }

        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top_k must be >= 0");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top_p must be in (0, 1]");
        }
    }
}
