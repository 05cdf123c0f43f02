using System.Text;
using Jamba.Actors;
using Jamba.Server.Api;
using Jamba.Server.Metrics;

namespace Jamba.Server.Generation;

/// <summary>Consumes the cluster's token events of one admitted request and writes the response, whole or streamed.</summary>
public sealed class CompletionRun(
    HttpContext context,
    PreparedCompletion prepared,
    IAsyncEnumerator<TokenEvent> events,
    TokenEvent? first,
    TokenTiming timing,
    JambaMetrics metrics)
{
    public CompletionAssembler Assembler { get; } =
        new(prepared.Model, prepared.Request, prepared.Generate.PromptIds, prepared.EchoText);

    public async Task RespondAsync(CancellationToken cancellationToken)
    {
        var text = new StringBuilder(prepared.EchoText);
        await foreach (var token in TokensAsync())
        {
            text.Append(Assembler.Append(token));
            metrics.GeneratedTokens.Inc();
            if (Assembler.FinishReason is not null)
            {
                break;
            }
        }

        if (Assembler.FinishReason is null)
        {
            text.Append(Assembler.Finish("length"));
        }

        await StopGenerationAsync();
        var choice = new CompletionChoice(text.ToString(), 0, Assembler.Logprobs(), Assembler.FinishReason, Assembler.TokenIds.ToArray());
        var response = Response([choice], Usage());
        await context.Response.WriteAsJsonAsync(response, ApiJson.Options, cancellationToken);
    }

    public async Task StreamAsync(CancellationToken cancellationToken)
    {
        var writer = new SseWriter(context.Response);
        await writer.StartAsync(cancellationToken);

        if (prepared.EchoText.Length > 0)
        {
            await writer.WriteAsync(Chunk(prepared.EchoText, [], null, null), cancellationToken);
        }

        await foreach (var token in TokensAsync())
        {
            var logprobsFrom = Assembler.TokenIds.Count;
            var text = Assembler.Append(token);
            metrics.GeneratedTokens.Inc();

            var logprobs = Assembler.Logprobs(logprobsFrom);
            await writer.WriteAsync(Chunk(text, [token.TokenId], logprobs, Assembler.FinishReason), cancellationToken);
            if (Assembler.FinishReason is not null)
            {
                break;
            }
        }

        if (Assembler.FinishReason is null)
        {
            var rest = Assembler.Finish("length");
            await writer.WriteAsync(Chunk(rest, [], null, Assembler.FinishReason), cancellationToken);
        }

        await StopGenerationAsync();

        if (prepared.Request.IncludeUsage)
        {
            await writer.WriteAsync(Response([], Usage()), cancellationToken);
        }

        await writer.WriteDoneAsync(cancellationToken);
    }

    /// <summary>
    /// Stops the cluster's generation before the response ends. A stop string ends the completion while the
    /// cluster may have generated more tokens, and the session drops those before the client can send its next turn.
    /// </summary>
    private async Task StopGenerationAsync() => await events.DisposeAsync();

    /// <summary>Yields the first event and then the rest, timing each.</summary>
    private async IAsyncEnumerable<TokenEvent> TokensAsync()
    {
        if (first is null)
        {
            yield break;
        }

        yield return first;
        while (await events.MoveNextAsync())
        {
            timing.NextToken();
            yield return events.Current;
        }
    }

    private CompletionResponse Chunk(string text, int[] tokenIds, CompletionLogprobs? logprobs, string? finishReason) =>
        Response([new CompletionChoice(text, 0, logprobs, finishReason, tokenIds)], null);

    private CompletionResponse Response(IReadOnlyList<CompletionChoice> choices, CompletionUsage? usage) =>
        new(prepared.Id, "text_completion", prepared.Created, prepared.Model.Name, choices, usage);

    private CompletionUsage Usage()
    {
        var prompt = prepared.Generate.PromptIds.Length;
        var completion = Assembler.TokenIds.Count;
        return new CompletionUsage(prompt, completion, prompt + completion, Assembler.PromptTokensComputed);
    }
}
