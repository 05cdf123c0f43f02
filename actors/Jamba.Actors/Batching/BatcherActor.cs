using Akka.Actor;
using Jamba.Actors.Hosting;
using Jamba.Actors.LayerGroups;
using Jamba.Actors.Sequences;
using Jamba.Actors.Wire;
using Jamba.Engine.Sampling;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Batching;

/// <summary>
/// Continuous batching for the sequences of one node. Each step carries every running sequence: a
/// prompt chunk of at most PrefillChunkTokens, or the one token sampled last. The step passes through
/// the layer groups in order, and the last group returns logits. The batcher samples from them, then
/// finished sequences leave and queued ones join before the next step.
/// </summary>
public sealed class BatcherActor : ReceiveActor, IWithTimers
{
    private const string StepTimer = "step-timeout";

    private readonly IReadOnlyList<(string Group, IActorRef Region)> _groups;
    private readonly BatcherSettings _settings;
    private readonly IClusterMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<GenerationJob> _running = [];
    private readonly Queue<GenerationJob> _waiting = new();
    private long _nextStepId;
    private Step? _step;

    public BatcherActor(IReadOnlyList<(string Group, IActorRef Region)> groups, BatcherSettings settings,
        IClusterMetrics metrics, ILogger logger)
    {
        _groups = groups;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;

        Receive<EnqueueJob>(m => Enqueue(m.Job));
        Receive<CancelJob>(m => Cancel(job => job.RequestId == m.RequestId));
        Receive<Terminated>(m => Cancel(job => job.Stream.Equals(m.ActorRef)));
        Receive<BatchForwarded>(OnForwarded);
        Receive<BatchFailed>(m => m.StepId == _step?.Id, m => FailStep($"layers {m.Group}: {m.Error}"));
        Receive<StepTimedOut>(m => m.StepId == _step?.Id, _ =>
            FailStep($"step timed out after {_settings.StepTimeout.TotalSeconds:0.#} s in layers {_groups[_step!.GroupIndex].Group}"));
        Receive<StepTimedOut>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void Enqueue(GenerationJob job)
    {
        if (_running.Count < _settings.MaxBatchSequences)
        {
            _running.Add(job);
        }
        else if (_waiting.Count < _settings.MaxQueuedSequences)
        {
            _waiting.Enqueue(job);
        }
        else
        {
            var rejection = new GenerationRejected(job.RequestId, RejectionKind.QueueFull,
                $"the generation queue is full ({_settings.MaxQueuedSequences} sequences waiting)", _settings.MaxQueuedSequences);
            job.Sequence.Tell(new JobEnded(job.RequestId, [], 0, job.StateBytes, null, job.Stream, rejection));
            return;
        }

        Context.Watch(job.Stream);
        job.Stream.Tell(new GenerationAccepted(job.RequestId));
        ReportLoad();
        TryStartStep();
    }

    private void Cancel(Func<GenerationJob, bool> match)
    {
        foreach (var job in _running.Where(match).Concat(_waiting.Where(match)))
        {
            job.Cancelled = true;
        }

        // Jobs in the step in flight leave when it returns, so their state stays consistent with Fed.
        var inStep = _step?.Jobs ?? [];
        foreach (var job in _running.Where(j => j.Cancelled && !inStep.Contains(j)).ToList())
        {
            End(job);
        }

        foreach (var job in _waiting.Where(j => j.Cancelled).ToList())
        {
            End(job);
        }

        Admit();
    }

    private void TryStartStep()
    {
        if (_step is not null || _running.Count == 0)
        {
            return;
        }

        var entries = new List<BatchEntry>();
        var ids = new List<int>();
        foreach (var job in _running)
        {
            var take = Math.Min(job.Pending.Count, _settings.PrefillChunkTokens);
            for (var i = 0; i < take; i++)
            {
                ids.Add(job.Pending.Dequeue());
            }

            entries.Add(new BatchEntry(job.SessionId, take, NeedsLogits: job.Pending.Count == 0));
        }

        _step = new Step(++_nextStepId, [.. _running], [.. entries]);
        Send(new ForwardBatch(_groups[0].Group, _step.Id, _step.Entries, [.. ids], null));
    }

    private void Send(ForwardBatch request)
    {
        _groups[_step!.GroupIndex].Region.Tell(request);
        Timers.StartSingleTimer(StepTimer, new StepTimedOut(_step.Id), _settings.StepTimeout);
    }

    private void OnForwarded(BatchForwarded reply)
    {
        if (reply.StepId != _step?.Id)
        {
            return;
        }

        var step = _step;
        for (var e = 0; e < step.Jobs.Length; e++)
        {
            step.StateBytes[e] += reply.StateBytes.ElementAtOrDefault(e);
        }

        if (!reply.IsLogits)
        {
            step.GroupIndex++;
            Send(new ForwardBatch(_groups[step.GroupIndex].Group, step.Id, step.Entries, null, reply.Output));
            return;
        }

        Timers.Cancel(StepTimer);
        _step = null;
        var logits = reply.Output.ToSingles();
        var vocab = reply.Output.Cols;
        var row = 0;
        for (var e = 0; e < step.Jobs.Length; e++)
        {
            var job = step.Jobs[e];
            var entry = step.Entries[e];
            job.Fed += entry.Tokens;
            job.Position += entry.Tokens;
            job.StateBytes = step.StateBytes[e];
            if (!entry.NeedsLogits)
            {
                if (job.Cancelled)
                {
                    End(job);
                }

                continue;
            }

            var rowLogits = logits.AsSpan(row++ * vocab, vocab);
            if (job.Cancelled)
            {
                End(job);
                continue;
            }

            Sample(job, rowLogits);
        }

        Admit();
        TryStartStep();
    }

    private void Sample(GenerationJob job, ReadOnlySpan<float> logits)
    {
        var token = job.Sampler.Sample(logits);
        var logprobs = Sampler.LogSoftmax(logits);
        var top = job.TopLogprobs > 0
            ? Enumerable.Range(0, logprobs.Length).OrderByDescending(i => logprobs[i]).ThenBy(i => i).Take(job.TopLogprobs).ToArray()
            : [];
        job.Generated.Add(token);

        string? finish = null;
        if (job.StopAtEos && token == _settings.EosTokenId)
        {
            finish = "stop";
        }
        else if (job.Generated.Count >= job.MaxNewTokens || job.Position + 1 >= job.ContextLength)
        {
            finish = "length";
        }

        var promptTokens = job.Generated.Count == 1 ? job.PromptTokens : 0;
        var generated = new TokenGenerated(job.RequestId, token, logprobs[token], top, top.Select(i => logprobs[i]).ToArray(),
            promptTokens, finish);
        if (finish is not null)
        {
            End(job, final: generated);
            return;
        }

        job.Stream.Tell(generated);
        job.Pending.Enqueue(token);
    }

    private void FailStep(string error)
    {
        var step = _step!;
        _step = null;
        Timers.Cancel(StepTimer);
        _logger.LogError("Batch step {StepId} failed for {Sequences} sequence(s): {Error}", step.Id, step.Jobs.Length, error);
        foreach (var job in step.Jobs)
        {
            End(job, new GenerationFailed(job.RequestId, error), error);
        }

        Admit();
        TryStartStep();
    }

    private void End(GenerationJob job, object? final = null, string? error = null)
    {
        if (!_running.Remove(job))
        {
            RemoveWaiting(job);
        }

        Context.Unwatch(job.Stream);
        job.Sequence.Tell(new JobEnded(job.RequestId, [.. job.Generated], job.Fed, job.StateBytes, error, job.Stream, final));
        ReportLoad();
    }

    private void RemoveWaiting(GenerationJob job)
    {
        var kept = _waiting.Where(j => j != job).ToList();
        _waiting.Clear();
        foreach (var waiting in kept)
        {
            _waiting.Enqueue(waiting);
        }
    }

    private void Admit()
    {
        while (_running.Count < _settings.MaxBatchSequences && _waiting.Count > 0)
        {
            _running.Add(_waiting.Dequeue());
        }

        ReportLoad();
        TryStartStep();
    }

    private void ReportLoad() => _metrics.Sequences(_running.Count, _waiting.Count);

    private sealed class Step(long id, GenerationJob[] jobs, BatchEntry[] entries)
    {
        public long Id { get; } = id;

        public GenerationJob[] Jobs { get; } = jobs;

        public BatchEntry[] Entries { get; } = entries;

        public long[] StateBytes { get; } = new long[jobs.Length];

        public int GroupIndex { get; set; }
    }

    private sealed record StepTimedOut(long StepId);
}

public sealed record BatcherSettings(
    int MaxBatchSequences,
    int MaxQueuedSequences,
    int PrefillChunkTokens,
    TimeSpan StepTimeout,
    int? EosTokenId);
