namespace Jamba.Server.Api;

/// <summary>
/// A text completion in OpenAI's shape; streaming sends one per chunk with the text delta. Choices carry
/// a non-standard <c>token_ids</c> field with the generated ids, so clients can compare tokens, not text.
/// </summary>
public sealed record CompletionResponse(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<CompletionChoice> Choices,
    CompletionUsage? Usage);

public sealed record CompletionChoice(
    string Text,
    int Index,
    CompletionLogprobs? Logprobs,
    string? FinishReason,
    IReadOnlyList<int> TokenIds);

/// <summary>OpenAI's legacy completions log-probabilities: parallel lists, one entry per generated token.</summary>
public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<IReadOnlyDictionary<string, float>> TopLogprobs,
    IReadOnlyList<int> TextOffset);

/// <param name="PromptTokensComputed">
/// Prompt tokens the model ran for this request (non-standard); a session continued from its kept state
/// computes only the new tokens.
/// </param>
public sealed record CompletionUsage(int PromptTokens, int CompletionTokens, int TotalTokens, int PromptTokensComputed);

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy, int MaxModelLen);

/// <param name="Node">Address of the cluster node that keeps the session's state.</param>
public sealed record SessionResponse(string Id, string Object, bool Pinned, int Tokens, long StateBytes, string Node);
