using Jamba.Actors;
using Jamba.Server.Cluster;

namespace Jamba.Server.Api;

/// <summary>POST /v1/sessions, GET and DELETE /v1/sessions/{id}: sessions whose model state stays resident between requests.</summary>
public static class SessionEndpoints
{
    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/sessions", CreateAsync);
        app.MapGet("/v1/sessions/{id}", GetAsync);
        app.MapDelete("/v1/sessions/{id}", DeleteAsync);
        app.MapPost("/v1/sessions/{id}/completions", (HttpContext context, string id, CompletionHandler handler) => handler.HandleAsync(context, id));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ClusterConnection cluster, ILoggerFactory loggers)
    {
        var (body, bodyError) = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        if (bodyError is not null)
        {
            return bodyError.ToResult();
        }

        var (pinned, error) = ParsePinned(body);
        if (error is not null)
        {
            return error.ToResult();
        }

        if (cluster.Ready() is not { } inference)
        {
            return NotReady();
        }

        SessionInfo session;
        try
        {
            session = await inference.CreateSessionAsync(pinned, context.RequestAborted);
        }
        catch (SessionLimitException e)
        {
            Logger(loggers).LogWarning("Session creation rejected: {Reason}", e.Message);
            return ApiError.SessionLimit(e.Message).ToResult();
        }

        Logger(loggers).LogInformation("Created session {SessionId} (pinned: {Pinned}) on {Node}", session.Id, session.Pinned, session.Node);
        return Results.Json(ToResponse(session), ApiJson.Options);
    }

    private static async Task<IResult> GetAsync(string id, ClusterConnection cluster, CancellationToken cancellationToken)
    {
        if (cluster.Ready() is not { } inference)
        {
            return NotReady();
        }

        var session = await inference.GetSessionAsync(id, cancellationToken);
        return session is null ? NotFound(id) : Results.Json(ToResponse(session), ApiJson.Options);
    }

    private static async Task<IResult> DeleteAsync(string id, ClusterConnection cluster, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (cluster.Ready() is not { } inference)
        {
            return NotReady();
        }

        if (!await inference.DeleteSessionAsync(id, cancellationToken))
        {
            return NotFound(id);
        }

        Logger(loggers).LogInformation("Deleted session {SessionId}", id);
        return Results.Json(new { id, @object = "session.deleted", deleted = true }, ApiJson.Options);
    }

    /// <summary>Reads the optional body of POST /v1/sessions: nothing, or <c>{"pinned": bool}</c>.</summary>
    public static (bool Pinned, ApiError? Error) ParsePinned(ReadOnlyMemory<byte> body)
    {
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return (false, null);
        }

        var (document, error) = RequestJson.ParseObject(body);
        if (document is null)
        {
            return (false, error);
        }

        using (document)
        {
            var pinned = false;
            try
            {
                foreach (var field in document.RootElement.EnumerateObject())
                {
                    pinned = field.Name == "pinned"
                        ? RequestJson.OptionalBool(field.Value, "pinned") ?? false
                        : throw RequestFieldException.Unknown(field.Name);
                }
            }
            catch (RequestFieldException e)
            {
                return (false, e.Error);
            }

            return (pinned, null);
        }
    }

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(SessionEndpoints).FullName!);

    private static IResult NotReady() =>
        ApiError.NotReady("The cluster is not ready yet; retry when GET /ready returns 200").ToResult();

    private static IResult NotFound(string id) =>
        ApiError.NotFound($"Session '{id}' not found", "session_id").ToResult();

    private static SessionResponse ToResponse(SessionInfo session) =>
        new(session.Id, "session", session.Pinned, session.Tokens, session.StateBytes, session.Node);
}
