namespace Jamba.Server.Api;

/// <summary>Reads a request body whole, within Kestrel's body size limit.</summary>
public static class RequestBody
{
    /// <summary>Returns the body, or the error to send when it is too large or cut off.</summary>
    public static async Task<(ReadOnlyMemory<byte> Body, ApiError? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null);
        }
        catch (BadHttpRequestException e)
        {
            return (default, new ApiError(e.StatusCode, $"The request body could not be read: {e.Message}", "invalid_request_error"));
        }
    }
}
