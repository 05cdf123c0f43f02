using Jamba.Engine.Sampling;

namespace Jamba.Actors;

/// <summary>
/// What the HTTP service asks of the cluster: sessions and token generation. The actor system behind
/// it places layers and experts, batches sequences and keeps session state resident.
/// </summary>
public interface IInferenceCluster
{
    /// <summary>Creates a session; a pinned session is never passivated.</summary>
    /// <exception cref="SessionLimitException">the node that would host it already has its maximum of sessions.</exception>
    Task<SessionInfo> CreateSessionAsync(bool pinned, CancellationToken cancellationToken);

    /// <summary>Returns the session, or null when no session has that id.</summary>
    Task<SessionInfo?> GetSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Frees the session and its state; false when no session has that id.</summary>
    Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// Appends the prompt to the session (or to a new one-off sequence when SessionId is null) and
    /// streams the generated tokens. Cancelling the token or disposing the enumerator early stops
    /// generation and frees the batch slot. The session then keeps only the tokens the caller took, and
    /// its next request waits until the stopped one has left the batch.
    /// </summary>
    /// <exception cref="SessionNotFoundException">no session has the request's id.</exception>
    /// <exception cref="QueueFullException">the admission queue is full.</exception>
    /// <exception cref="SessionLimitException">a one-off request's temporary session would exceed the node's maximum of sessions.</exception>
    /// <exception cref="SessionBusyException">another request of the same session is still generating.</exception>
    /// <exception cref="ArgumentException">
    /// a token id is outside the vocabulary, the prompt is empty with nothing left to feed, MaxNewTokens
    /// is below 1, TopLogprobs is outside [0, 20], the sampling options are invalid, or the session plus
    /// the prompt reach the model's context length.
    /// </exception>
    /// <exception cref="GenerationFailedException">a batch step failed or timed out, or the session's node left.</exception>
    IAsyncEnumerable<TokenEvent> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken);

    /// <summary>Membership and placement as this node sees them now.</summary>
    ClusterStatus GetStatus();

    /// <summary>
    /// Takes a byte-exact snapshot of the session: its tokens and the state of every layer. The session
    /// must not be generating.
    /// </summary>
    /// <exception cref="SessionNotFoundException">no session has that id.</exception>
    Task<byte[]> ExportSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Creates a new session from a snapshot of <see cref="ExportSessionAsync"/>, under any layer split.</summary>
    /// <exception cref="ArgumentException">the bytes are not a snapshot this build reads.</exception>
    /// <exception cref="SessionLimitException">the node that would host it already has its maximum of sessions.</exception>
    Task<SessionInfo> ImportSessionAsync(byte[] snapshot, bool pinned, CancellationToken cancellationToken);
}

/// <summary>A request to generate: prompt ids appended to a session, sampling and limits.</summary>
public sealed record GenerateRequest(
    string? SessionId,
    int[] PromptIds,
    SamplingOptions Sampling,
    int MaxNewTokens,
    bool StopAtEos = true,
    int TopLogprobs = 0);

/// <summary>One generated token, with its log-probability and the most likely alternatives.</summary>
/// <param name="PromptTokensComputed">
/// Tokens this request ran through the model before its first sample (set on the first event, 0 after).
/// On a continued session these are the new prompt plus the last token of the previous answer,
/// which had been sampled but not yet fed.
/// </param>
/// <param name="FinishReason">"stop" (EOS) or "length" on the last event, null before it.</param>
public sealed record TokenEvent(
    int TokenId,
    float Logprob,
    IReadOnlyList<TokenLogprob> TopLogprobs,
    int PromptTokensComputed,
    string? FinishReason);

public sealed record TokenLogprob(int TokenId, float Logprob);

/// <summary>A session as a client sees it.</summary>
public sealed record SessionInfo(string Id, bool Pinned, int Tokens, long StateBytes, string Node);

/// <summary>Cluster membership and whether every layer range and expert is placed and loaded.</summary>
public sealed record ClusterStatus(
    bool Formed,
    bool Ready,
    IReadOnlyList<MemberStatus> Members,
    IReadOnlyList<string> Unplaced);

public sealed record MemberStatus(string Address, string Status, IReadOnlyList<string> Roles);

public sealed class SessionNotFoundException(string sessionId)
    : Exception($"session '{sessionId}' not found")
{
    public string SessionId { get; } = sessionId;
}

public sealed class SessionBusyException(string sessionId, string message) : Exception(message)
{
    public string SessionId { get; } = sessionId;
}

/// <summary>A generation that the cluster started but could not finish (a failed or timed-out step, a node that left).</summary>
public sealed class GenerationFailedException(string message) : Exception(message);

public sealed class SessionLimitException(int limit)
    : Exception($"the node already has its maximum of {limit} sessions; delete or unpin sessions, or retry later")
{
    public int Limit { get; } = limit;
}

public sealed class QueueFullException(int capacity)
    : Exception($"the generation queue is full ({capacity} sequences waiting); retry later")
{
    public int Capacity { get; } = capacity;
}
