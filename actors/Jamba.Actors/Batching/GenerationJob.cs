using Akka.Actor;
using Jamba.Engine.Sampling;

namespace Jamba.Actors.Batching;

/// <summary>
/// One request of one sequence while the batcher runs it: tokens still to feed (prompt first, then
/// each sampled token), the sampler and limits. Only the batcher touches it after it is enqueued.
/// </summary>
public sealed class GenerationJob
{
    public GenerationJob(string sessionId, string requestId, IActorRef stream, IActorRef sequence, IEnumerable<int> pending,
        SamplingOptions sampling, int maxNewTokens, bool stopAtEos, int topLogprobs, int contextLength, int position)
    {
        SessionId = sessionId;
        RequestId = requestId;
        Stream = stream;
        Sequence = sequence;
        Pending = new Queue<int>(pending);
        PromptTokens = Pending.Count;
        Sampler = new Sampler(sampling);
        MaxNewTokens = maxNewTokens;
        StopAtEos = stopAtEos;
        TopLogprobs = topLogprobs;
        ContextLength = contextLength;
        Position = position;
    }

    public string SessionId { get; }

    public string RequestId { get; }

    /// <summary>The actor that receives the token events.</summary>
    public IActorRef Stream { get; }

    /// <summary>The sequence entity, which receives <see cref="JobEnded"/>.</summary>
    public IActorRef Sequence { get; }

    public Queue<int> Pending { get; }

    /// <summary>Tokens this request runs through the model before its first sample.</summary>
    public int PromptTokens { get; }

    public Sampler Sampler { get; }

    public int MaxNewTokens { get; }

    public bool StopAtEos { get; }

    public int TopLogprobs { get; }

    public int ContextLength { get; }

    /// <summary>Tokens in the sequence's state: its position.</summary>
    public int Position { get; set; }

    /// <summary>Tokens run through the model for this request so far.</summary>
    public int Fed { get; set; }

    public List<int> Generated { get; } = [];

    public long StateBytes { get; set; }

    public bool Cancelled { get; set; }
}

public sealed record EnqueueJob(GenerationJob Job);

public sealed record CancelJob(string RequestId);

/// <summary>
/// Tells the sequence what the request did: the tokens it generated and how many tokens it ran
/// through the model; <paramref name="Error"/> is set when a step failed and the state may be inconsistent.
/// The sequence passes <paramref name="FinalMessage"/> (last token, rejection or failure) on to the
/// stream only after it has recorded the tokens, so a client's next request finds the session up to date.
/// </summary>
public sealed record JobEnded(string RequestId, int[] Generated, int Fed, long StateBytes, string? Error,
    IActorRef Stream, object? FinalMessage);
