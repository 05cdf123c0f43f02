using System.Text.Json;
using Jamba.Engine.Loading;

namespace Jamba.Engine.Tokenization;

/// <summary>
/// The fields of a Hugging Face tokenizer_config.json that shape encoding and decoding. Absent flags take
/// the defaults of transformers' LlamaTokenizer, the class Jamba checkpoints name: BOS added, EOS not.
/// </summary>
internal sealed record TokenizerConfig(bool AddBosToken, bool AddEosToken, string? BosToken, string? EosToken, string? PadToken)
{
    public const string FileName = "tokenizer_config.json";

    public static TokenizerConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{path}: expected a JSON object");
            }

            return new TokenizerConfig(
                Bool(path, root, "add_bos_token") ?? true,
                Bool(path, root, "add_eos_token") ?? false,
                Token(path, root, "bos_token"),
                Token(path, root, "eos_token"),
                Token(path, root, "pad_token"));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not valid JSON: {e.Message}", e);
        }
    }

    private static bool? Bool(string path, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new CheckpointException($"{path}: field '{name}' must be true or false, got {value.GetRawText()}"),
        };
    }

    /// <summary>
    /// Reads a special token, written either as its text or as a serialized transformers AddedToken, an
    /// object whose "content" field contains the text.
    /// </summary>
    private static string? Token(string path, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        if (value.ValueKind == JsonValueKind.Object
            && value.TryGetProperty("content", out var content)
            && content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        throw new CheckpointException(
            $"{path}: field '{name}' must be a string or an object with a string 'content', got {value.GetRawText()}");
    }
}
