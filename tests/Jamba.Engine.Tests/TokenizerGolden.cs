using System.Text.Json;
using System.Text.Json.Serialization;

namespace Jamba.Engine.Tests;

/// <summary>tests/fixtures/tokenizer-golden.json: texts with their SentencePiece ids and decoded text.</summary>
public sealed record TokenizerGolden(
    [property: JsonPropertyName("add_bos_token")] bool AddBosToken,
    [property: JsonPropertyName("bos_token_id")] int BosTokenId,
    [property: JsonPropertyName("cases")] IReadOnlyList<TokenizerCase> Cases)
{
    public static TokenizerGolden Load() =>
        JsonSerializer.Deserialize<TokenizerGolden>(File.ReadAllText(Fixtures.TokenizerGolden))
            ?? throw new InvalidDataException($"{Fixtures.TokenizerGolden} is empty");
}

public sealed record TokenizerCase(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("ids")] int[] Ids,
    [property: JsonPropertyName("decoded")] string Decoded);

/// <summary>models/jamba-tiny-kjv/golden.json: greedy continuations of the KJV demo model.</summary>
public sealed record KjvGolden([property: JsonPropertyName("cases")] IReadOnlyList<KjvCase> Cases)
{
    public static KjvGolden Load() =>
        JsonSerializer.Deserialize<KjvGolden>(File.ReadAllText(Path.Combine(Fixtures.Kjv, "golden.json")))
            ?? throw new InvalidDataException("models/jamba-tiny-kjv/golden.json is empty");
}

/// <summary>One greedy continuation. <see cref="GreedyIds"/> leaves out the EOS that ends it when <see cref="StopsAtEos"/> is true.</summary>
public sealed record KjvCase(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("prompt_ids")] int[] PromptIds,
    [property: JsonPropertyName("max_new_tokens")] int MaxNewTokens,
    [property: JsonPropertyName("stops_at_eos")] bool StopsAtEos,
    [property: JsonPropertyName("greedy_ids")] int[] GreedyIds,
    [property: JsonPropertyName("greedy_text")] string GreedyText);
