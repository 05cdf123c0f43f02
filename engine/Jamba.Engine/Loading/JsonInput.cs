using System.Text.Json;
using System.Text.Unicode;

namespace Jamba.Engine.Loading;

/// <summary>Parses the JSON of a checkpoint file (config, index, safetensors header) into a document or a <see cref="CheckpointException"/>.</summary>
internal static class JsonInput
{
    public static JsonDocument Parse(string path, ReadOnlySpan<byte> utf8, string contentName)
    {
        // JsonDocument.Parse (.NET 10) accepts invalid UTF-8 inside a property name; reading the
        // name later throws InvalidOperationException, far from the input that caused it.
        if (!Utf8.IsValid(utf8))
        {
            throw new CheckpointException($"{path}: {contentName} is not valid UTF-8");
        }

        try
        {
            return JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: {contentName} is not valid JSON: {e.Message}", e);
        }
    }
}
