using System.Text.Json.Serialization;

namespace Jamba.Server.Api;

/// <summary>
/// An error in OpenAI's shape: <c>{"error":{"message","type","param","code"}}</c> with the HTTP status
/// that goes with it.
/// </summary>
public sealed record ApiError(int Status, string Message, string Type, string? Param = null, string? Code = null)
{
    /// <summary>Seconds a client should wait before retrying; sent as Retry-After when set.</summary>
    [JsonIgnore]
    public int? RetryAfterSeconds { get; init; }

    public static ApiError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public static ApiError NotFound(string message, string? param = null) =>
        new(StatusCodes.Status404NotFound, message, "invalid_request_error", param, "not_found");

    public static ApiError SessionBusy(string message) =>
        new(StatusCodes.Status409Conflict, message, "invalid_request_error", "session_id", "session_busy");

    public static ApiError QueueFull(string message, int retryAfterSeconds) =>
        new(StatusCodes.Status429TooManyRequests, message, "rate_limit_error", null, "queue_full") { RetryAfterSeconds = retryAfterSeconds };

    public static ApiError SessionLimit(string message) =>
        new(StatusCodes.Status429TooManyRequests, message, "rate_limit_error", null, "session_limit_reached");

    public static ApiError NotReady(string message) =>
        new(StatusCodes.Status503ServiceUnavailable, message, "service_unavailable", null, "not_ready");

    public static ApiError Internal(string message) =>
        new(StatusCodes.Status500InternalServerError, message, "server_error", null, "internal_error");

    public IResult ToResult() => new ErrorResult(this);

    public ErrorBody ToBody() => new(new ErrorDetail(Message, Type, Param, Code));

    public sealed record ErrorBody([property: JsonPropertyName("error")] ErrorDetail Error);

    public sealed record ErrorDetail(
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("param")] string? Param,
        [property: JsonPropertyName("code")] string? Code);

    private sealed class ErrorResult(ApiError error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (error.RetryAfterSeconds is { } seconds)
            {
                httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            httpContext.Response.StatusCode = error.Status;
            return httpContext.Response.WriteAsJsonAsync(error.ToBody(), ApiJson.Options, httpContext.RequestAborted);
        }
    }
}
