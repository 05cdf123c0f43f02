using System.Globalization;
using Jamba.Server.Api;
using Jamba.Server.Cluster;

namespace Jamba.Server.Generation;

/// <summary>Turns a request's prompt into token ids and checks them against the vocabulary and the context limit.</summary>
public static class PromptResolver
{
    /// <param name="historyTokens">Tokens already in the session the prompt is appended to; 0 for a one-off request.</param>
    public static (int[]? Ids, ApiError? Error) Resolve(Prompt prompt, int maxTokens, ServedModel model, int historyTokens)
    {
        var ids = prompt.Text is { } text ? Tokenize(text, model, historyTokens) : prompt.TokenIds!;

        if (ids.Length == 0)
        {
            return (null, ApiError.InvalidRequest("prompt: empty; a session continues only after at least one new token", "prompt", "invalid_value"));
        }

        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] < 0 || ids[i] >= model.VocabSize)
            {
                return (null, ApiError.InvalidRequest(
                    string.Create(CultureInfo.InvariantCulture, $"prompt: token id {ids[i]} at index {i} is outside the vocabulary [0, {model.VocabSize})"),
                    "prompt", "invalid_token"));
            }
        }

        var promptEnd = historyTokens + ids.Length;
        if (promptEnd > model.ContextTokens)
        {
            return (null, ContextExceeded(
                $"This model's maximum context length is {model.ContextTokens} tokens, but the prompt has {ids.Length} tokens" +
                (historyTokens > 0 ? $" on top of {historyTokens} in the session" : "") + "; shorten the prompt",
                "prompt"));
        }

        // In 64 bits, so that a max_tokens near int.MaxValue cannot wrap the sum below the limit.
        var requested = (long)promptEnd + maxTokens;
        if (requested > model.ContextTokens)
        {
            return (null, ContextExceeded(
                $"This model's maximum context length is {model.ContextTokens} tokens, but {promptEnd} prompt tokens" +
                (historyTokens > 0 ? " (session included)" : "") + $" and max_tokens {maxTokens} request {requested}; lower max_tokens",
                "max_tokens"));
        }

        return (ids, null);
    }

    /// <summary>Encodes text; a continuation drops the BOS the tokenizer adds, because the session already began with one.</summary>
    // NOTE: the whole text is tokenized before the context check, so a prompt of tens of MB costs
    // seconds of CPU before its 400. A lower bound on the token count from the text length would
    // fail for tokenizer models whose normalizer removes extra whitespace (a SentencePiece option).
    private static int[] Tokenize(string text, ServedModel model, int historyTokens)
    {
        var ids = model.Tokenizer.Encode(text);
        if (historyTokens > 0 && ids.Length > 0 && ids[0] == model.Tokenizer.BosId)
        {
            return ids[1..];
        }

        return ids;
    }

    private static ApiError ContextExceeded(string message, string param) =>
        ApiError.InvalidRequest(message, param, "context_length_exceeded");
}
