using Jamba.Actors.Wire;
using Jamba.Engine.Sampling;
using MessagePack;

namespace Jamba.Actors.Sequences;

/// <summary>A message for the sequence entity of one session; Cluster Sharding routes it by <see cref="SessionId"/>.</summary>
public interface ISequenceMessage : IWireMessage
{
    string SessionId { get; }
}

[MessagePackObject]
public sealed record CreateSession([property: Key(0)] string SessionId, [property: Key(1)] bool Pinned) : ISequenceMessage;

[MessagePackObject]
public sealed record GetSession([property: Key(0)] string SessionId) : ISequenceMessage;

[MessagePackObject]
public sealed record DeleteSession([property: Key(0)] string SessionId) : ISequenceMessage;

/// <summary>Appends the prompt and generates; the sender is the stream that receives the token events.</summary>
[MessagePackObject]
public sealed record StartGeneration(
    [property: Key(0)] string SessionId,
    [property: Key(1)] string RequestId,
    [property: Key(2)] int[] PromptIds,
    [property: Key(3)] WireSampling Sampling,
    [property: Key(4)] int MaxNewTokens,
    [property: Key(5)] bool StopAtEos,
    [property: Key(6)] int TopLogprobs) : ISequenceMessage;

/// <summary>
/// The caller stopped reading a generation after <paramref name="TokensTaken"/> tokens, at a stop string or
/// because its client left. The session keeps only those tokens, so its history is what the caller saw.
/// </summary>
[MessagePackObject]
public sealed record StreamStopped(
    [property: Key(0)] string SessionId,
    [property: Key(1)] string RequestId,
    [property: Key(2)] int TokensTaken) : ISequenceMessage;

[MessagePackObject]
public sealed record ExportSession([property: Key(0)] string SessionId) : ISequenceMessage;

/// <summary>Creates the session from a snapshot made by <see cref="ExportSession"/>.</summary>
[MessagePackObject]
public sealed record ImportSession(
    [property: Key(0)] string SessionId,
    [property: Key(1)] bool Pinned,
    [property: Key(2)] byte[] Snapshot) : ISequenceMessage;

[MessagePackObject]
public sealed record SessionReply(
    [property: Key(0)] string SessionId,
    [property: Key(1)] bool Pinned,
    [property: Key(2)] int Tokens,
    [property: Key(3)] long StateBytes,
    [property: Key(4)] string Node) : IWireMessage
{
    public SessionInfo ToInfo() => new(SessionId, Pinned, Tokens, StateBytes, Node);
}

[MessagePackObject]
public sealed record SessionMissing([property: Key(0)] string SessionId) : IWireMessage;

[MessagePackObject]
public sealed record SessionDeleted([property: Key(0)] string SessionId) : IWireMessage;

[MessagePackObject]
public sealed record SessionExported([property: Key(0)] string SessionId, [property: Key(1)] byte[] Snapshot) : IWireMessage;

/// <summary>The node that would host the session already has its maximum number of sessions.</summary>
[MessagePackObject]
public sealed record SessionLimitReached([property: Key(0)] string SessionId, [property: Key(1)] int Limit) : IWireMessage;

[MessagePackObject]
public sealed record SessionRequestFailed([property: Key(0)] string SessionId, [property: Key(1)] string Error) : IWireMessage;

[MessagePackObject]
public sealed record WireSampling(
    [property: Key(0)] float Temperature,
    [property: Key(1)] int TopK,
    [property: Key(2)] float TopP,
    [property: Key(3)] ulong? Seed)
{
    public static WireSampling From(SamplingOptions options) => new(options.Temperature, options.TopK, options.TopP, options.Seed);

    public SamplingOptions ToOptions() => new() { Temperature = Temperature, TopK = TopK, TopP = TopP, Seed = Seed };
}
