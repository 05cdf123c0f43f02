using Jamba.Engine.Sampling;

namespace Jamba.Engine.Generation;

/// <summary>How long to generate, how to draw each token and where to stop.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 128;

    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Strings that end generation. The text released stops just before the first one that appears.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Whether sampling the tokenizer's EOS ends generation. When false, EOS is decoded like any token, to no text.</summary>
    public bool StopAtEos { get; init; } = true;

    public void Validate()
    {
        if (MaxNewTokens < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "max_new_tokens must be >= 0");
        }

        if (Sampling is null)
        {
            throw new ArgumentNullException(nameof(Sampling), "sampling options are required");
        }

        Sampling.Validate();

        if (StopStrings is null)
        {
            throw new ArgumentNullException(nameof(StopStrings), "stop strings must be a list, possibly empty");
        }

        for (var i = 0; i < StopStrings.Count; i++)
        {
            if (string.IsNullOrEmpty(StopStrings[i]))
            {
                throw new ArgumentException($"stop string {i} is empty. Remove it or give it at least one character", nameof(StopStrings));
            }
        }
    }
}
