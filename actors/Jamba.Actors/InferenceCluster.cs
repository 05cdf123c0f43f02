using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Jamba.Actors.Sequences;
using Microsoft.Extensions.Logging;
using AkkaMemberStatus = Akka.Cluster.MemberStatus;

namespace Jamba.Actors;

/// <summary>
/// <see cref="IInferenceCluster"/> over the sequence shard region: every call becomes a message to
/// the session's entity, wherever Cluster Sharding placed it.
/// </summary>
internal sealed class InferenceCluster : IInferenceCluster
{
    private readonly ActorSystem _system;
    private readonly IActorRef _sequences;
    private readonly TimeSpan _askTimeout;
    private readonly Func<IReadOnlyList<string>> _unplaced;
    private readonly ILogger _logger;

    public InferenceCluster(ActorSystem system, IActorRef sequences, TimeSpan askTimeout, Func<IReadOnlyList<string>> unplaced,
        ILogger logger)
    {
        _logger = logger;
        _system = system;
        _sequences = sequences;
        _askTimeout = askTimeout;
        _unplaced = unplaced;
    }

    public async Task<SessionInfo> CreateSessionAsync(bool pinned, CancellationToken cancellationToken)
    {
        var id = NewSessionId();
        var reply = await AskAsync(new CreateSession(id, pinned), cancellationToken);
        return reply switch
        {
            SessionReply info => info.ToInfo(),
            SessionLimitReached limit => throw new SessionLimitException(limit.Limit),
            SessionRequestFailed failed => throw new GenerationFailedException(failed.Error),
            _ => throw Unexpected(reply),
        };
    }

    public async Task<SessionInfo?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(new GetSession(sessionId), cancellationToken);
        return reply switch
        {
            SessionReply info => info.ToInfo(),
            SessionMissing => null,
            _ => throw Unexpected(reply),
        };
    }

    public async Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(new DeleteSession(sessionId), cancellationToken);
        return reply switch
        {
            SessionDeleted => true,
            SessionMissing => false,
            _ => throw Unexpected(reply),
        };
    }

    public async IAsyncEnumerable<TokenEvent> GenerateAsync(GenerateRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request.PromptIds);
        request.Sampling.Validate();

        var sessionId = request.SessionId ?? (await CreateSessionAsync(pinned: false, cancellationToken)).Id;
        try
        {
            var channel = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var start = new StartGeneration(sessionId, Guid.NewGuid().ToString("N"), request.PromptIds,
                WireSampling.From(request.Sampling), request.MaxNewTokens, request.StopAtEos, request.TopLogprobs);
            var receiver = _system.ActorOf(Props.Create(() => new StreamReceiverActor(channel.Writer, _sequences, start)));
            var tokensTaken = 0;
            var ended = false;
            try
            {
                await foreach (var tokenEvent in channel.Reader.ReadAllAsync(cancellationToken))
                {
                    tokensTaken++;
                    ended = tokenEvent.FinishReason is not null;
                    yield return tokenEvent;
                }

                ended = true;
            }
            finally
            {
                // The batcher runs ahead of the caller, so a caller that stops early leaves tokens it never took,
                // and the session drops them. This goes out before the receiver stops, so it arrives ahead of a next request.
                if (!ended && request.SessionId is not null)
                {
                    _sequences.Tell(new StreamStopped(sessionId, start.RequestId, tokensTaken));
                }

                // Stopping the receiver cancels the generation at the batcher, which watches it.
                _system.Stop(receiver);
            }
        }
        finally
        {
            if (request.SessionId is null)
            {
                await DeleteTemporaryAsync(sessionId);
            }
        }
    }

    public ClusterStatus GetStatus()
    {
        var cluster = Cluster.Get(_system);
        var state = cluster.State;
        var members = state.Members
            .Select(m => new MemberStatus(m.Address.ToString(), m.Status.ToString(), m.Roles.Order().ToArray()))
            .ToArray();
        var formed = state.Members.Any(m => m.Address == cluster.SelfAddress && m.Status == AkkaMemberStatus.Up);
        var unplaced = _unplaced();
        return new ClusterStatus(formed, formed && unplaced.Count == 0, members, unplaced);
    }

    public async Task<byte[]> ExportSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(new ExportSession(sessionId), cancellationToken);
        return reply switch
        {
            SessionExported exported => exported.Snapshot,
            SessionMissing => throw new SessionNotFoundException(sessionId),
            SessionRequestFailed failed => throw new InvalidOperationException(failed.Error),
            _ => throw Unexpected(reply),
        };
    }

    public async Task<SessionInfo> ImportSessionAsync(byte[] snapshot, bool pinned, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(new ImportSession(NewSessionId(), pinned, snapshot), cancellationToken);
        return reply switch
        {
            SessionReply info => info.ToInfo(),
            SessionLimitReached limit => throw new SessionLimitException(limit.Limit),
            SessionRequestFailed failed => throw new ArgumentException(failed.Error, nameof(snapshot)),
            _ => throw Unexpected(reply),
        };
    }

    // The caller may be gone (cancelled), so the temporary session is deleted without its token.
    private async Task DeleteTemporaryAsync(string sessionId)
    {
        try
        {
            await AskAsync(new DeleteSession(sessionId), CancellationToken.None);
        }
        catch (AskTimeoutException)
        {
            _logger.LogWarning("Deleting temporary session {SessionId} timed out; it passivates when idle", sessionId);
        }
    }

    private static string NewSessionId() => Guid.NewGuid().ToString("N");

    private Task<object> AskAsync(ISequenceMessage message, CancellationToken cancellationToken) =>
        _sequences.Ask<object>(message, _askTimeout, cancellationToken);

    private static InvalidOperationException Unexpected(object reply) =>
        new($"unexpected reply {reply.GetType().Name} from the session entity");
}
