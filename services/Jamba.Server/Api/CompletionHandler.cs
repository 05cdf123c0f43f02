using Jamba.Actors;
using Jamba.Engine.Sampling;
using Jamba.Server.Cluster;
using Jamba.Server.Generation;
using Jamba.Server.Metrics;

namespace Jamba.Server.Api;

/// <summary>
/// Serves POST /v1/completions and POST /v1/sessions/{id}/completions: checks the request, sends it to
/// the cluster and returns the completion whole or as server-sent events.
/// </summary>
public sealed class CompletionHandler(
    ServedModel model,
    ClusterConnection cluster,
    JambaMetrics metrics,
    ILogger<CompletionHandler> logger)
{
    /// <summary>Retry-After seconds sent with a 429, an estimate well above one batch step of a small model.</summary>
    private const int QueueFullRetryAfterSeconds = 1;

    public async Task HandleAsync(HttpContext context, string? sessionId)
    {
        var timing = new TokenTiming(metrics);
        var aborted = context.RequestAborted;

        PreparedCompletion? prepared;
        ApiError? error;
        try
        {
            (prepared, error) = await PrepareAsync(context, sessionId, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            logger.LogInformation("Client disconnected before its completion request was admitted");
            return;
        }

        if (prepared is null)
        {
            logger.LogInformation("Completion request rejected with {Status} {Code}: {Message}", error!.Status, error.Code, error.Message);
            await error.ToResult().ExecuteAsync(context);
            return;
        }

        using var generation = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        IAsyncEnumerator<TokenEvent>? events = null;
        try
        {
            // The first event decides the status code, so errors the cluster raises on admission
            // (queue full, session gone) still reach the client as proper error responses.
            events = prepared.Inference.GenerateAsync(prepared.Generate, generation.Token).GetAsyncEnumerator(generation.Token);
            var first = await events.MoveNextAsync() ? events.Current : null;
            if (first is not null)
            {
                timing.FirstToken();
                metrics.PromptTokensComputed.Inc(first.PromptTokensComputed);
            }

            var run = new CompletionRun(context, prepared, events, first, timing, metrics);
            if (prepared.Request.Stream)
            {
                await run.StreamAsync(aborted);
            }
            else
            {
                await run.RespondAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            logger.LogInformation("Client disconnected; generation {CompletionId} cancelled", prepared.Id);
        }
        catch (QueueFullException e)
        {
            logger.LogWarning("Completion rejected: {Reason}", e.Message);
            await ApiError.QueueFull(e.Message, QueueFullRetryAfterSeconds).ToResult().ExecuteAsync(context);
        }
        catch (SessionLimitException e)
        {
            logger.LogWarning("Completion rejected: {Reason}", e.Message);
            await ApiError.SessionLimit(e.Message).ToResult().ExecuteAsync(context);
        }
        catch (SessionNotFoundException e)
        {
            logger.LogInformation("Completion rejected: session {SessionId} was deleted or passivated before admission", e.SessionId);
            await ApiError.NotFound($"Session '{e.SessionId}' not found", "session_id").ToResult().ExecuteAsync(context);
        }
        catch (ArgumentException e) when (!context.Response.HasStarted)
        {
            // The cluster checks the request again on admission, against the session as it is by then.
            logger.LogInformation("Completion {CompletionId} rejected by the cluster: {Reason}", prepared.Id, e.Message);
            await ApiError.InvalidRequest(e.Message).ToResult().ExecuteAsync(context);
        }
        catch (SessionBusyException e)
        {
            logger.LogInformation("Completion rejected: session {SessionId} is still generating another request", e.SessionId);
            await ApiError.SessionBusy($"Session '{e.SessionId}' is still generating another request; send the next one when it has finished").ToResult().ExecuteAsync(context);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            logger.LogError(e, "Completion {CompletionId} failed", prepared.Id);
            await ApiError.Internal($"Generation failed: {e.Message}").ToResult().ExecuteAsync(context);
        }
        catch (Exception e)
        {
            // The stream has begun with status 200, so the error travels as a last event.
            logger.LogError(e, "Completion {CompletionId} failed mid-stream", prepared.Id);
            await WriteStreamErrorAsync(context, ApiError.Internal($"Generation failed: {e.Message}"));
        }
        finally
        {
            // Stops a generation the client left or a stop string ended; after a natural end it does nothing.
            await generation.CancelAsync();
            if (events is not null)
            {
                await events.DisposeAsync().AsTask().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task WriteStreamErrorAsync(HttpContext context, ApiError error)
    {
        try
        {
            var writer = new SseWriter(context.Response);
            await writer.WriteAsync(error.ToBody(), context.RequestAborted);
            await writer.WriteDoneAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            logger.LogInformation("The error event could not be sent: the client has gone ({Reason})", e.Message);
        }
    }

    /// <summary>Validates everything the model would otherwise see; returns the error to send when anything is wrong.</summary>
    private async Task<(PreparedCompletion? Prepared, ApiError? Error)> PrepareAsync(HttpContext context, string? sessionId, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync(context.Request, cancellationToken);
        if (bodyError is not null)
        {
            return (null, bodyError);
        }

        var (request, parseError) = CompletionRequestParser.Parse(body);
        if (request is null)
        {
            return (null, parseError);
        }

        if (request.Model is { } name && name != model.Name)
        {
            return (null, new ApiError(StatusCodes.Status404NotFound, $"The model '{name}' does not exist; this service serves '{model.Name}'", "invalid_request_error", "model", "model_not_found"));
        }

        if (cluster.Ready() is not { } inference)
        {
            return (null, ApiError.NotReady("The cluster is not ready yet: layers or experts are still being placed; retry when GET /ready returns 200"));
        }

        var history = 0;
        if (sessionId is not null)
        {
            var session = await inference.GetSessionAsync(sessionId, cancellationToken);
            if (session is null)
            {
                return (null, ApiError.NotFound($"Session '{sessionId}' not found", "session_id"));
            }

            history = session.Tokens;
        }

        var (ids, promptError) = PromptResolver.Resolve(request.Prompt, request.MaxTokens, model, history);
        if (ids is null)
        {
            return (null, promptError);
        }

        var sampling = new SamplingOptions
        {
            Temperature = request.Temperature,
            TopP = request.TopP,
            TopK = Math.Max(request.TopK, 0),
            Seed = request.Seed,
        };
        var generate = new GenerateRequest(sessionId, ids, sampling, request.MaxTokens, StopAtEos: true, TopLogprobs: request.Logprobs ?? 0);
        var echoText = request.Echo ? request.Prompt.Text ?? model.Tokenizer.Decode(ids) : "";

        metrics.PromptTokens.Inc(ids.Length);
        return (new PreparedCompletion(inference, request, generate, echoText, model), null);
    }
}
