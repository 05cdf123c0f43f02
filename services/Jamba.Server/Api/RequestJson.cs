using System.Globalization;
using System.Text.Json;

namespace Jamba.Server.Api;

/// <summary>Typed reads of request fields that raise a <see cref="RequestFieldException"/> naming the field.</summary>
public static class RequestJson
{
    /// <summary>Maximum nesting of a request body; completion requests need three levels.</summary>
    private const int MaxDepth = 16;

    /// <summary>Parses a body that must be one JSON object; returns the document or the error to send.</summary>
    public static (JsonDocument? Document, ApiError? Error) ParseObject(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            // The exception's message ends with its own zero-based position, replaced here by a one-based one.
            var reason = e.Message.Split(" LineNumber:")[0];
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            return (null, ApiError.InvalidRequest($"The request body is not valid JSON{where}: {reason}", code: "invalid_json"));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = Describe(document.RootElement);
            document.Dispose();
            return (null, ApiError.InvalidRequest($"The request body must be a JSON object, got {kind}", code: "invalid_json"));
        }

        if (FindUndecodableString(document.RootElement, null) is { } undecodable)
        {
            document.Dispose();
            return (null, undecodable);
        }

        return (document, null);
    }

    /// <summary>
    /// Returns a 400 for the first string or property name that cannot become a .NET string: invalid UTF-8
    /// bytes or an escaped lone surrogate (\ud800). The parser accepts both, and reading them later throws.
    /// </summary>
    /// <param name="field">The top-level field the value belongs to, which the error names; null at the root.</param>
    private static ApiError? FindUndecodableString(JsonElement value, string? field)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(() => value.GetString())
                    ? null
                    : ApiError.InvalidRequest($"{field}: the string is not valid Unicode (invalid UTF-8 or a lone surrogate)", field, "invalid_encoding");

            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    if (FindUndecodableString(item, field) is { } error)
                    {
                        return error;
                    }
                }

                return null;

            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (!Decodes(() => property.Name))
                    {
                        var where = field is null ? "" : $" in {field}";
                        return ApiError.InvalidRequest($"A field name{where} is not valid Unicode (invalid UTF-8 or a lone surrogate)", field, "invalid_encoding");
                    }

                    if (FindUndecodableString(property.Value, field ?? property.Name) is { } error)
                    {
                        return error;
                    }
                }

                return null;

            default:
                return null;
        }
    }

    private static bool Decodes(Func<string?> read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static string? OptionalString(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        _ => throw RequestFieldException.WrongType(name, "a string", value),
    };

    public static bool? OptionalBool(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw RequestFieldException.WrongType(name, "a boolean", value),
    };

    public static int? OptionalInt(JsonElement value, string name)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw RequestFieldException.WrongType(name, "an integer", value);
        }

        if (value.TryGetInt32(out var result))
        {
            return result;
        }

        // 16.0 is an integer to JSON clients written in languages without an integer type.
        if (value.TryGetDouble(out var number) && number == Math.Floor(number) && number is >= int.MinValue and <= int.MaxValue)
        {
            return (int)number;
        }

        throw RequestFieldException.OutOfRange(name, $"{name} must be a 32-bit integer, got {value.GetRawText()}");
    }

    public static float? OptionalFloat(JsonElement value, string name)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw RequestFieldException.WrongType(name, "a number", value);
        }

        if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            throw RequestFieldException.OutOfRange(name, $"{name} must be a finite number, got {value.GetRawText()}");
        }

        return (float)number;
    }

    /// <summary>Names a JSON value's kind the way an error message should show it.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => string.Create(CultureInfo.InvariantCulture, $"the number {value.GetRawText()}"),
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}

/// <summary>A request field that is unknown, of the wrong type or out of range; carries the 400 to send.</summary>
public sealed class RequestFieldException(ApiError error) : Exception(error.Message)
{
    public ApiError Error { get; } = error;

    public static RequestFieldException Unknown(string name) =>
        new(ApiError.InvalidRequest($"Unrecognized request argument supplied: {name}", name, "unknown_field"));

    public static RequestFieldException WrongType(string name, string expected, JsonElement value) =>
        new(ApiError.InvalidRequest($"{name}: expected {expected}, got {RequestJson.Describe(value)}", name, "invalid_type"));

    public static RequestFieldException OutOfRange(string name, string message) =>
        new(ApiError.InvalidRequest(message, name, "invalid_value"));
}
