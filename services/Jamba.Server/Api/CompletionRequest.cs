namespace Jamba.Server.Api;

/// <summary>A validated body of POST /v1/completions (and of a session's completions).</summary>
public sealed record CompletionRequest
{
    public const int DefaultMaxTokens = 16;

    /// <summary>Most alternatives per token the <c>logprobs</c> field may ask for, as in OpenAI's API.</summary>
    public const int MaxLogprobs = 5;

    /// <summary>Most stop strings a request may carry, as in OpenAI's API.</summary>
    public const int MaxStopStrings = 4;

    public required Prompt Prompt { get; init; }

    public string? Model { get; init; }

    public int MaxTokens { get; init; } = DefaultMaxTokens;

    public float Temperature { get; init; } = 1f;

    public float TopP { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }

    public ulong? Seed { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool Stream { get; init; }

    /// <summary>When streaming, send a last chunk with the usage (OpenAI's stream_options.include_usage).</summary>
    public bool IncludeUsage { get; init; }

    public bool Echo { get; init; }

    /// <summary>Alternatives reported per generated token; null reports no log-probabilities at all.</summary>
    public int? Logprobs { get; init; }
}

/// <summary>A prompt as the client sent it: text to tokenize, or token ids used as they are.</summary>
public sealed record Prompt(string? Text, int[]? TokenIds)
{
    public static Prompt FromText(string text) => new(text, null);

    public static Prompt FromTokenIds(int[] ids) => new(null, ids);
}
