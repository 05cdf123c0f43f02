using System.Text.Json;

namespace Jamba.Server.Api;

/// <summary>
/// Writes server-sent events the way OpenAI streams: one <c>data: {json}</c> event per chunk, flushed
/// at once, and <c>data: [DONE]</c> at the end.
/// </summary>
public sealed class SseWriter(HttpResponse response)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public bool Started { get; private set; }

    /// <summary>Sends the status and headers, with X-Accel-Buffering: no so that nginx-style proxies pass each event on at once.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellationToken);
        Started = true;
    }

    public async Task WriteAsync<T>(T chunk, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(chunk, ApiJson.Options);
        await WriteRawAsync(json, cancellationToken);
    }

    public async Task WriteDoneAsync(CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Done, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private async Task WriteRawAsync(byte[] json, CancellationToken cancellationToken)
    {
        // JSON from the serializer never contains a raw newline, so one data line carries the whole chunk.
        await response.Body.WriteAsync(DataPrefix, cancellationToken);
        await response.Body.WriteAsync(json, cancellationToken);
        await response.Body.WriteAsync(EventEnd, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
