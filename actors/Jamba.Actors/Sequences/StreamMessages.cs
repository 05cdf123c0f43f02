using Jamba.Actors.Wire;
using MessagePack;

namespace Jamba.Actors.Sequences;

/// <summary>The batcher took the request; the stream watches the sender to notice if its node goes away.</summary>
[MessagePackObject]
public sealed record GenerationAccepted([property: Key(0)] string RequestId) : IWireMessage;

public enum RejectionKind
{
    SessionNotFound = 0,
    QueueFull = 1,
    InvalidRequest = 2,
    SessionBusy = 3,
}

[MessagePackObject]
public sealed record GenerationRejected(
    [property: Key(0)] string RequestId,
    [property: Key(1)] RejectionKind Kind,
    [property: Key(2)] string Message,
    [property: Key(3)] int QueueCapacity) : IWireMessage;

[MessagePackObject]
public sealed record TokenGenerated(
    [property: Key(0)] string RequestId,
    [property: Key(1)] int TokenId,
    [property: Key(2)] float Logprob,
    [property: Key(3)] int[] TopIds,
    [property: Key(4)] float[] TopLogprobs,
    [property: Key(5)] int PromptTokensComputed,
    [property: Key(6)] string? FinishReason) : IWireMessage
{
    public TokenEvent ToEvent() => new(TokenId, Logprob,
        TopIds.Zip(TopLogprobs, (id, logprob) => new TokenLogprob(id, logprob)).ToArray(),
        PromptTokensComputed, FinishReason);
}

[MessagePackObject]
public sealed record GenerationFailed([property: Key(0)] string RequestId, [property: Key(1)] string Error) : IWireMessage;
