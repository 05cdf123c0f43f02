using System.Text.Json;

namespace Jamba.Server.Api;

/// <summary>
/// Reads a completion request body field by field, so each malformed, unknown, mistyped or out-of-range
/// field is rejected with a 400 that names it, before anything reaches the model.
/// </summary>
public static class CompletionRequestParser
{
    /// <summary>Returns the request, or the error to send when the body is invalid.</summary>
    public static (CompletionRequest? Request, ApiError? Error) Parse(ReadOnlyMemory<byte> body)
    {
        var (document, error) = RequestJson.ParseObject(body);
        if (document is null)
        {
            return (null, error);
        }

        using (document)
        {
            try
            {
                return (Read(document.RootElement), null);
            }
            catch (RequestFieldException e)
            {
                return (null, e.Error);
            }
        }
    }

    private static CompletionRequest Read(JsonElement root)
    {
        Prompt? prompt = null;
        var request = new CompletionRequest { Prompt = Prompt.FromText("") };

        foreach (var field in root.EnumerateObject())
        {
            var value = field.Value;
            switch (field.Name)
            {
                case "prompt":
                    prompt = ReadPrompt(value);
                    break;
                case "model":
                    request = request with { Model = RequestJson.OptionalString(value, field.Name) };
                    break;
                case "max_tokens":
                    request = request with { MaxTokens = RequestJson.OptionalInt(value, field.Name) ?? CompletionRequest.DefaultMaxTokens };
                    break;
                case "temperature":
                    request = request with { Temperature = RequestJson.OptionalFloat(value, field.Name) ?? 1f };
                    break;
                case "top_p":
                    request = request with { TopP = RequestJson.OptionalFloat(value, field.Name) ?? 1f };
                    break;
                case "top_k":
                    request = request with { TopK = RequestJson.OptionalInt(value, field.Name) ?? 0 };
                    break;
                case "seed":
                    request = request with { Seed = ReadSeed(value) };
                    break;
                case "stop":
                    request = request with { Stop = ReadStop(value) };
                    break;
                case "stream":
                    request = request with { Stream = RequestJson.OptionalBool(value, field.Name) ?? false };
                    break;
                case "stream_options":
                    request = request with { IncludeUsage = ReadStreamOptions(value) };
                    break;
                case "n":
                    CheckN(RequestJson.OptionalInt(value, field.Name));
                    break;
                case "echo":
                    request = request with { Echo = RequestJson.OptionalBool(value, field.Name) ?? false };
                    break;
                case "logprobs":
                    request = request with { Logprobs = RequestJson.OptionalInt(value, field.Name) };
                    break;
                case "user":
                    RequestJson.OptionalString(value, field.Name);
                    break;
                default:
                    throw RequestFieldException.Unknown(field.Name);
            }
        }

        request = request with { Prompt = prompt ?? throw new RequestFieldException(ApiError.InvalidRequest("prompt: missing; pass a string or an array of token ids", "prompt", "missing_field")) };
        Validate(request);
        return request;
    }

    private static void Validate(CompletionRequest request)
    {
        if (request.MaxTokens < 1)
        {
            throw RequestFieldException.OutOfRange("max_tokens", $"max_tokens must be at least 1, got {request.MaxTokens}");
        }

        if (!float.IsFinite(request.Temperature) || request.Temperature < 0)
        {
            throw RequestFieldException.OutOfRange("temperature", $"temperature must be a finite number >= 0, got {request.Temperature}");
        }

        if (!(request.TopP > 0 && request.TopP <= 1))
        {
            throw RequestFieldException.OutOfRange("top_p", $"top_p must be in (0, 1], got {request.TopP}");
        }

        if (request.TopK < -1)
        {
            throw RequestFieldException.OutOfRange("top_k", $"top_k must be -1 or 0 (all tokens) or a positive count, got {request.TopK}");
        }

        if (request.Logprobs is < 0 or > CompletionRequest.MaxLogprobs)
        {
            throw RequestFieldException.OutOfRange("logprobs", $"logprobs must be from 0 to {CompletionRequest.MaxLogprobs}, got {request.Logprobs}");
        }

        if (request.Echo && request.Logprobs is not null)
        {
            // The cluster returns log-probabilities of generated tokens only, not of the prompt that echo repeats.
            throw RequestFieldException.OutOfRange("echo", "echo together with logprobs is not supported: prompt log-probabilities are not computed");
        }
    }

    private static Prompt ReadPrompt(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return Prompt.FromText(value.GetString()!);

            case JsonValueKind.Array:
                var items = value.EnumerateArray().ToList();
                if (items.Count == 0)
                {
                    throw RequestFieldException.OutOfRange("prompt", "prompt: the array is empty; pass a string or at least one token id");
                }

                if (items.All(item => item.ValueKind == JsonValueKind.Number))
                {
                    return Prompt.FromTokenIds(items.Select(ReadTokenId).ToArray());
                }

                if (items.Count == 1 && items[0].ValueKind == JsonValueKind.String)
                {
                    return Prompt.FromText(items[0].GetString()!);
                }

                if (items.Count == 1 && items[0].ValueKind == JsonValueKind.Array)
                {
                    return ReadPrompt(items[0]);
                }

                throw RequestFieldException.OutOfRange(
                    "prompt", "prompt: expected a string, an array of token ids or one of either in an array; batched prompts are not supported");

            default:
                throw RequestFieldException.WrongType("prompt", "a string or an array of token ids", value);
        }
    }

    private static int ReadTokenId(JsonElement item)
    {
        if (!item.TryGetInt32(out var id))
        {
            throw RequestFieldException.OutOfRange("prompt", $"prompt: token id {item.GetRawText()} is not an integer");
        }

        return id;
    }

    private static ulong? ReadSeed(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw RequestFieldException.WrongType("seed", "an integer", value);
        }

        // OpenAI accepts negative seeds; their 64-bit pattern seeds the sampler just as well.
        if (value.TryGetInt64(out var signed))
        {
            return unchecked((ulong)signed);
        }

        if (value.TryGetUInt64(out var unsigned))
        {
            return unsigned;
        }

        throw RequestFieldException.OutOfRange("seed", $"seed must be a 64-bit integer, got {value.GetRawText()}");
    }

    private static IReadOnlyList<string> ReadStop(JsonElement value)
    {
        var stops = value.ValueKind switch
        {
            JsonValueKind.Null => [],
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array when value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String) =>
                value.EnumerateArray().Select(item => item.GetString()!).ToList(),
            _ => throw RequestFieldException.WrongType("stop", "a string or an array of strings", value),
        };

        if (stops.Count > CompletionRequest.MaxStopStrings)
        {
            throw RequestFieldException.OutOfRange("stop", $"stop: at most {CompletionRequest.MaxStopStrings} strings are allowed, got {stops.Count}");
        }

        if (stops.Any(stop => stop.Length == 0))
        {
            throw RequestFieldException.OutOfRange("stop", "stop: a stop string must not be empty");
        }

        return stops;
    }

    private static bool ReadStreamOptions(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw RequestFieldException.WrongType("stream_options", "an object", value);
        }

        var includeUsage = false;
        foreach (var option in value.EnumerateObject())
        {
            if (option.Name != "include_usage")
            {
                throw RequestFieldException.Unknown($"stream_options.{option.Name}");
            }

            includeUsage = RequestJson.OptionalBool(option.Value, "stream_options.include_usage") ?? false;
        }

        return includeUsage;
    }

    private static void CheckN(int? n)
    {
        if (n is not (null or 1))
        {
            throw RequestFieldException.OutOfRange("n", $"n must be 1, got {n}: one completion per request is supported");
        }
    }
}
