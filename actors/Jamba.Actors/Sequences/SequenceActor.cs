using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Jamba.Actors.Batching;
using Jamba.Actors.LayerGroups;
using Jamba.Actors.Placement;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Sequences;

/// <summary>
/// The sharded entity of one session: token history, pinning, and ownership of the session's state
/// slots in every layer group. An entity that was never created replies "not found" and passivates.
/// An unpinned session passivates after the idle timeout; passivation frees its slots, so the session ends.
/// </summary>
public sealed class SequenceActor : ReceiveActor, IWithStash
{
    private readonly string _sessionId;
    private readonly SequenceContext _context;
    private readonly List<int> _history = [];
    private bool _pinned;
    private int _computed;
    private long _stateBytes;
    private string? _runningRequest;
    private int _runningPromptLength;
    private StreamStopped? _stoppedStream;
    private (string RequestId, int Generated)? _lastEnded;
    private bool _stateLost;
    private bool _created;
    private bool _holdsQuota;

    public SequenceActor(string sessionId, SequenceContext context)
    {
        _sessionId = sessionId;
        _context = context;
        Uncreated();
    }

    public IStash Stash { get; set; } = null!;

    private string Node => Cluster.Get(Context.System).SelfAddress.ToString();

    private void Uncreated()
    {
        Receive<CreateSession>(m =>
        {
            if (AcquireQuota())
            {
                Prepare(m.Pinned, [], 0, groups => groups.Select(g => (object)new ReserveSlot(g.Name, _sessionId)));
            }
        });
        Receive<ImportSession>(m =>
        {
            if (AcquireQuota())
            {
                Import(m);
            }
        });
        Receive<StartGeneration>(m =>
        {
            Sender.Tell(new GenerationRejected(m.RequestId, RejectionKind.SessionNotFound, $"session '{_sessionId}' not found", 0));
            Passivate();
        });
        Receive<StreamStopped>(_ => Passivate());
        Receive<ISequenceMessage>(_ =>
        {
            Sender.Tell(new SessionMissing(_sessionId));
            Passivate();
        });
    }

    private void Import(ImportSession message)
    {
        SessionSnapshot snapshot;
        try
        {
            snapshot = SessionSnapshot.FromBytes(message.Snapshot);
        }
        catch (InvalidDataException e)
        {
            Sender.Tell(new SessionRequestFailed(_sessionId, e.Message));
            Passivate();
            return;
        }

        Prepare(message.Pinned, snapshot.Tokens, snapshot.Computed, groups => groups.Select(g =>
        {
            var indices = Enumerable.Range(0, snapshot.Layers.Length).Where(i => g.Contains(snapshot.Layers[i])).ToArray();
            return (object)new RestoreSlot(g.Name, _sessionId, indices.Select(i => snapshot.Layers[i]).ToArray(),
                indices.Select(i => snapshot.States[i]).ToArray());
        }));
    }

    // Reserves or restores a slot in every layer group, then becomes a live session.
    private void Prepare(bool pinned, int[] tokens, int computed, Func<IEnumerable<LayerGroupPlacement>, IEnumerable<object>> requests)
    {
        var replyTo = Sender;
        var groups = _context.Plan.LayerGroups;
        var asks = groups.Zip(requests(groups), (group, request) =>
            _context.LayerGroupRegion(group).Ask<object>(request, _context.AskTimeout));
        Task.WhenAll(asks).PipeTo(Self,
            success: replies => new SlotsPrepared(replyTo, pinned, tokens, computed, replies),
            failure: e => new SlotsPrepared(replyTo, pinned, tokens, computed, [new SlotFailed("", _sessionId, e.Message)]));

        Become(() =>
        {
            Receive<SlotsPrepared>(OnPrepared);
            ReceiveAny(_ => Stash.Stash());
        });
    }

    private void OnPrepared(SlotsPrepared prepared)
    {
        var error = SlotError(prepared.Replies, prepared.Computed);
        if (error is not null)
        {
            _context.Logger.LogWarning("Session {SessionId} could not get its state slots: {Error}", _sessionId, error);
            prepared.ReplyTo.Tell(new SessionRequestFailed(_sessionId, $"session state slots could not be prepared: {error}"));
            FreeSlots();
            BecomeGone();
            Stash.UnstashAll();
            return;
        }

        _created = true;
        _pinned = prepared.Pinned;
        _history.AddRange(prepared.Tokens);
        _computed = prepared.Computed;
        _stateBytes = prepared.Replies.Cast<SlotReserved>().Sum(r => r.StateBytes);
        prepared.ReplyTo.Tell(Info());
        _context.Tracker.Tell(new SessionTracked(_sessionId, _pinned, _stateBytes));
        Become(Live);
        Stash.UnstashAll();
        ArmIdleTimeout();
    }

    // Every group must have reserved the slot, with a state that has seen exactly the computed tokens.
    private string? SlotError(object[] replies, int computed)
    {
        var failure = replies.OfType<SlotFailed>().FirstOrDefault();
        if (failure is not null)
        {
            return failure.Error;
        }

        if (replies.Any(r => r is not SlotReserved))
        {
            return "unexpected reply from a layer group";
        }

        var wrong = replies.Cast<SlotReserved>().FirstOrDefault(r => r.Position != computed);
        return wrong is null
            ? null
            : $"the state in layers {wrong.Group} is at position {wrong.Position}, the session has computed {computed} tokens";
    }

    private void Live()
    {
        Receive<GetSession>(_ => Sender.Tell(Info()));
        Receive<CreateSession>(_ => Sender.Tell(new SessionRequestFailed(_sessionId, $"session '{_sessionId}' already exists")));
        Receive<ImportSession>(_ => Sender.Tell(new SessionRequestFailed(_sessionId, $"session '{_sessionId}' already exists")));
        Receive<StartGeneration>(Start);
        Receive<StreamStopped>(OnStreamStopped);
        Receive<JobEnded>(OnJobEnded);
        Receive<DeleteSession>(_ =>
        {
            Sender.Tell(new SessionDeleted(_sessionId));
            Delete();
        });
        Receive<ExportSession>(Export);
        Receive<ReceiveTimeout>(_ =>
        {
            if (_runningRequest is null && !_pinned)
            {
                _context.Logger.LogInformation("Session {SessionId} idle for {Timeout}; passivating and freeing its state",
                    _sessionId, _context.IdleTimeout);
                Delete();
            }
        });
    }

    private void Start(StartGeneration request)
    {
        if (_runningRequest is not null && _stoppedStream?.RequestId == _runningRequest)
        {
            // The caller has already stopped reading the running request, which ends at the next step.
            // A client's next turn waits for it instead of getting "busy".
            Stash.Stash();
            return;
        }

        var error = Validate(request);
        if (error is not null)
        {
            var kind = _runningRequest is not null ? RejectionKind.SessionBusy : RejectionKind.InvalidRequest;
            Sender.Tell(new GenerationRejected(request.RequestId, kind, error, 0));
            return;
        }

        if (_stateLost)
        {
            RebuildThenStart(request, Sender);
            return;
        }

        Enqueue(request, Sender);
    }

    private void Enqueue(StartGeneration request, IActorRef stream)
    {
        var pending = _history.Skip(_computed).Concat(request.PromptIds).ToList();
        _history.AddRange(request.PromptIds);
        _runningPromptLength = request.PromptIds.Length;
        var job = new GenerationJob(_sessionId, request.RequestId, stream, Self, pending, request.Sampling.ToOptions(),
            request.MaxNewTokens, request.StopAtEos, request.TopLogprobs, _context.Plan.Config.MaxPositionEmbeddings, _computed);
        _runningRequest = request.RequestId;
        _lastEnded = null;
        SetReceiveTimeout(null);
        _context.Batcher.Tell(new EnqueueJob(job));
    }

    private string? Validate(StartGeneration request)
    {
        if (_runningRequest is not null)
        {
            return $"session '{_sessionId}' is already generating; wait for that request to finish";
        }

        var vocab = _context.Plan.Config.VocabSize;
        var invalid = request.PromptIds.Where(id => id < 0 || id >= vocab).Take(1).ToArray();
        if (invalid.Length > 0)
        {
            return $"token id {invalid[0]} is outside the vocabulary [0, {vocab})";
        }

        if (request.PromptIds.Length == 0 && _computed == _history.Count)
        {
            return "the prompt is empty and the session has no tokens left to feed";
        }

        if (request.MaxNewTokens < 1)
        {
            return $"max new tokens must be at least 1, got {request.MaxNewTokens}";
        }

        if (request.TopLogprobs is < 0 or > 20)
        {
            return $"top logprobs must be in [0, 20], got {request.TopLogprobs}";
        }

        var context = _context.Plan.Config.MaxPositionEmbeddings;
        if (_history.Count + request.PromptIds.Length >= context)
        {
            return $"the session's {_history.Count} tokens plus the prompt's {request.PromptIds.Length} reach the context length of {context}";
        }

        try
        {
            request.Sampling.ToOptions().Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            return e.Message;
        }

        return null;
    }

    private void OnJobEnded(JobEnded ended)
    {
        if (ended.RequestId != _runningRequest)
        {
            return;
        }

        _runningRequest = null;
        if (ended.Generated.Length == 0 && (ended.FinalMessage is GenerationRejected || ended.Error is not null))
        {
            // The client saw no effect of the request, so a retry must not find its prompt twice.
            // A rejected request fed nothing, and a failed one recomputes from the history below.
            _history.RemoveRange(_history.Count - _runningPromptLength, _runningPromptLength);
        }

        _history.AddRange(ended.Generated);
        _computed += ended.Fed;
        if (ended.Fed > 0)
        {
            _stateBytes = ended.StateBytes;
        }

        if (ended.Error is not null)
        {
            // A failed step may have advanced some layer groups and not others. The history is intact,
            // so the next request starts from fresh slots and recomputes every token.
            _context.Logger.LogWarning("Session {SessionId} lost its state in a failed step ({Error}); the next request recomputes its {Tokens} tokens",
                _sessionId, ended.Error, _history.Count);
            _stateLost = true;
            _computed = 0;
            _stateBytes = 0;
        }

        if (_stoppedStream?.RequestId == ended.RequestId)
        {
            DropUntaken(ended.Generated.Length - _stoppedStream.TokensTaken);
            _stoppedStream = null;
        }
        else
        {
            _lastEnded = (ended.RequestId, ended.Generated.Length);
        }

        _context.Tracker.Tell(new SessionTracked(_sessionId, _pinned, _stateBytes));
        if (ended.FinalMessage is not null)
        {
            ended.Stream.Tell(ended.FinalMessage);
        }

        ArmIdleTimeout();
        Stash.UnstashAll();
    }

    // The caller's stop may arrive before or after the batcher has ended its request.
    private void OnStreamStopped(StreamStopped stopped)
    {
        if (stopped.RequestId == _runningRequest)
        {
            _stoppedStream = stopped;
            return;
        }

        if (_lastEnded is { } last && last.RequestId == stopped.RequestId)
        {
            _lastEnded = null;
            DropUntaken(last.Generated - stopped.TokensTaken);
            _context.Tracker.Tell(new SessionTracked(_sessionId, _pinned, _stateBytes));
        }
    }

    // Removes the last generated tokens, which the caller never took, from the history.
    private void DropUntaken(int count)
    {
        if (count <= 0)
        {
            return;
        }

        _history.RemoveRange(_history.Count - count, count);
        if (_computed > _history.Count)
        {
            // The state has already run some dropped tokens, and a Mamba state cannot be rewound, so the
            // next request recomputes the history.
            _context.Logger.LogInformation(
                "Session {SessionId} dropped {Count} generated tokens its caller never took; the next request recomputes its {Tokens} tokens",
                _sessionId, count, _history.Count);
            _stateLost = true;
            _computed = 0;
            _stateBytes = 0;
        }
    }

    // Replaces the session's slot in every layer group with a fresh one before the request runs.
    private void RebuildThenStart(StartGeneration request, IActorRef stream)
    {
        var asks = _context.Plan.LayerGroups.Select(g =>
            _context.LayerGroupRegion(g).Ask<object>(new ReserveSlot(g.Name, _sessionId), _context.AskTimeout));
        Task.WhenAll(asks).PipeTo(Self,
            success: replies => new SlotsRebuilt(SlotError(replies, 0), replies.OfType<SlotReserved>().Sum(r => r.StateBytes)),
            failure: e => new SlotsRebuilt(e.Message, 0));

        _runningRequest = request.RequestId;
        Become(() =>
        {
            Receive<SlotsRebuilt>(rebuilt =>
            {
                _runningRequest = null;
                Become(Live);
                Stash.UnstashAll();
                if (rebuilt.Error is not null)
                {
                    _context.Logger.LogWarning("Session {SessionId} could not rebuild its state slots: {Error}", _sessionId, rebuilt.Error);
                    stream.Tell(new GenerationFailed(request.RequestId, $"session state could not be rebuilt: {rebuilt.Error}"));
                    return;
                }

                _stateLost = false;
                _stateBytes = rebuilt.StateBytes;
                Enqueue(request, stream);
            });
            ReceiveAny(_ => Stash.Stash());
        });
    }

    private void Export(ExportSession request)
    {
        if (_runningRequest is not null)
        {
            Sender.Tell(new SessionRequestFailed(_sessionId, $"session '{_sessionId}' is generating; export it when the request ends"));
            return;
        }

        if (_stateLost)
        {
            Sender.Tell(new SessionRequestFailed(_sessionId,
                $"session '{_sessionId}' lost its state in a failed step; run a request to recompute it, then export"));
            return;
        }

        var replyTo = Sender;
        var asks = _context.Plan.LayerGroups.Select(g =>
            _context.LayerGroupRegion(g).Ask<object>(new SnapshotSlot(g.Name, _sessionId), _context.AskTimeout));
        Task.WhenAll(asks).PipeTo(Self,
            success: replies => new SnapshotsGathered(replyTo, replies),
            failure: e => new SnapshotsGathered(replyTo, [new SlotFailed("", _sessionId, e.Message)]));

        Become(() =>
        {
            Receive<SnapshotsGathered>(gathered =>
            {
                var slots = gathered.Replies.OfType<SlotSnapshot>().ToList();
                if (slots.Count != gathered.Replies.Length)
                {
                    var error = gathered.Replies.OfType<SlotFailed>().FirstOrDefault()?.Error ?? "unexpected reply from a layer group";
                    gathered.ReplyTo.Tell(new SessionRequestFailed(_sessionId, $"snapshot failed: {error}"));
                }
                else
                {
                    var snapshot = new SessionSnapshot(SessionSnapshot.CurrentFormatVersion, [.. _history], _computed,
                        slots.SelectMany(s => s.Layers).ToArray(), slots.SelectMany(s => s.States).ToArray());
                    gathered.ReplyTo.Tell(new SessionExported(_sessionId, snapshot.ToBytes()));
                }

                Become(Live);
                Stash.UnstashAll();
            });
            ReceiveAny(_ => Stash.Stash());
        });
    }

    // A generation in flight is cancelled first; its slots are freed only after the batcher lets go of them.
    private void Delete()
    {
        if (_runningRequest is not null)
        {
            _context.Batcher.Tell(new CancelJob(_runningRequest));
            Become(() =>
            {
                Receive<JobEnded>(ended => ended.RequestId == _runningRequest, ended =>
                {
                    if (ended.FinalMessage is not null)
                    {
                        ended.Stream.Tell(ended.FinalMessage);
                    }

                    FinishDelete();
                });
                Receive<StartGeneration>(m =>
                    Sender.Tell(new GenerationRejected(m.RequestId, RejectionKind.SessionNotFound, $"session '{_sessionId}' not found", 0)));
                Receive<StreamStopped>(_ => { });
                Receive<ISequenceMessage>(_ => Sender.Tell(new SessionMissing(_sessionId)));
            });
            return;
        }

        FinishDelete();
    }

    private void FinishDelete()
    {
        _runningRequest = null;
        FreeSlots();
        BecomeGone();

        // Requests stashed behind a stopped stream now get "not found".
        Stash.UnstashAll();
    }

    // Until the shard stops it, a deleted or failed entity replies as if the session did not exist.
    private void BecomeGone()
    {
        Become(() =>
        {
            Receive<StartGeneration>(m =>
                Sender.Tell(new GenerationRejected(m.RequestId, RejectionKind.SessionNotFound, $"session '{_sessionId}' not found", 0)));
            Receive<StreamStopped>(_ => { });
            Receive<ISequenceMessage>(_ => Sender.Tell(new SessionMissing(_sessionId)));
        });
        Passivate();
    }

    // Takes one of the node's session places, or rejects the request and stops when none is left.
    private bool AcquireQuota()
    {
        if (_context.Quota.TryAcquire())
        {
            _holdsQuota = true;
            return true;
        }

        _context.Logger.LogWarning("Session {SessionId} rejected: this node already has {Limit} sessions", _sessionId, _context.Quota.Capacity);
        Sender.Tell(new SessionLimitReached(_sessionId, _context.Quota.Capacity));
        Passivate();
        return false;
    }

    private void ReleaseQuota()
    {
        if (_holdsQuota)
        {
            _context.Quota.Release();
            _holdsQuota = false;
        }
    }

    private void FreeSlots()
    {
        foreach (var group in _context.Plan.LayerGroups)
        {
            _context.LayerGroupRegion(group).Tell(new FreeSlot(group.Name, _sessionId));
        }

        if (_created)
        {
            _context.Tracker.Tell(new SessionUntracked(_sessionId));
            _created = false;
        }

        ReleaseQuota();
    }

    protected override void PostStop()
    {
        // A node shutting down stops entities without passivation; their slots go with the cluster.
        if (_created)
        {
            FreeSlots();
        }

        ReleaseQuota();
    }

    private void ArmIdleTimeout() => SetReceiveTimeout(_pinned || _runningRequest is not null ? null : _context.IdleTimeout);

    private void Passivate() => Context.Parent.Tell(new Passivate(PoisonPill.Instance));

    private SessionReply Info() => new(_sessionId, _pinned, _history.Count, _stateBytes, Node);

    private sealed record SlotsPrepared(IActorRef ReplyTo, bool Pinned, int[] Tokens, int Computed, object[] Replies);

    private sealed record SnapshotsGathered(IActorRef ReplyTo, object[] Replies);

    private sealed record SlotsRebuilt(string? Error, long StateBytes);
}

/// <summary>What every sequence entity of a node shares: the plan, the regions and the local batcher.</summary>
public sealed record SequenceContext(
    PlacementPlan Plan,
    Func<LayerGroupPlacement, IActorRef> LayerGroupRegion,
    IActorRef Batcher,
    IActorRef Tracker,
    TimeSpan IdleTimeout,
    TimeSpan AskTimeout,
    SessionQuota Quota,
    ILogger Logger);
