using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Jamba.Actors.Experts;
using Jamba.Actors.Hosting;
using Jamba.Actors.Placement;
using Jamba.Actors.Wire;
using Jamba.Engine;
using Jamba.Engine.Layers;
using Jamba.Engine.State;
using Jamba.Kernels;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.LayerGroups;

/// <summary>
/// Owns a contiguous layer range: its weights (without expert weights, which live in expert
/// entities) and the per-sequence state of its layers, in slots keyed by sequence id. A batch step
/// runs every layer of the range over the rows of all sequences in the step; at each MoE layer the
/// feed-forward goes to a <see cref="RouterActor"/>, and the group waits for it before going on.
/// </summary>
public sealed class LayerGroupActor : UntypedActor, IWithStash
{
    private readonly LayerGroupPlacement _placement;
    private readonly bool _holdsHead;
    private readonly string _modelDirectory;
    private readonly Func<int, IActorRef> _expertRegionOf;
    private readonly RouterSettings _routerSettings;
    private readonly IClusterMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<string, SequenceState> _slots = new();
    private JambaModel? _model;
    private string? _loadError;
    private StepContext? _step;

    public LayerGroupActor(LayerGroupPlacement placement, bool holdsHead, string modelDirectory, Func<int, IActorRef> expertRegionOf,
        RouterSettings routerSettings, IClusterMetrics metrics, ILogger logger)
    {
        _placement = placement;
        _holdsHead = holdsHead;
        _modelDirectory = modelDirectory;
        _expertRegionOf = expertRegionOf;
        _routerSettings = routerSettings;
        _metrics = metrics;
        _logger = logger;
    }

    public IStash Stash { get; set; } = null!;

    private JambaModel Model => _model ?? throw new InvalidOperationException(_loadError ?? "layer group not loaded");

    protected override void PreStart()
    {
        try
        {
            _model = JambaModel.Load(_modelDirectory, new ModelPart
            {
                FirstLayer = _placement.FirstLayer,
                EndLayer = _placement.EndLayer,
                Embedding = _placement.FirstLayer == 0,
                Head = _holdsHead,
                Experts = (_, _) => false,
            });
            _logger.LogInformation("Layer group {Group} loaded on {Node}", _placement.Name, Cluster.Get(Context.System).SelfAddress);
        }
        catch (Exception e)
        {
            _loadError = $"loading layers {_placement.Name} from {_modelDirectory} failed: {e.Message}";
            _logger.LogError(e, "Loading layer group {Group} failed", _placement.Name);
        }
    }

    protected override void PostStop()
    {
        if (_slots.Count > 0)
        {
            _logger.LogWarning("Layer group {Group} stopped with {Slots} resident sequence state(s); they are lost",
                _placement.Name, _slots.Count);
        }

        _model?.Dispose();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ForwardBatch step:
                StartStep(step);
                break;
            case ReserveSlot reserve:
                Reserve(reserve);
                break;
            case FreeSlot free:
                _slots.Remove(free.SequenceId);
                break;
            case SnapshotSlot snapshot:
                TakeSnapshot(snapshot);
                break;
            case RestoreSlot restore:
                Restore(restore);
                break;
            case ProbeLoaded:
                if (_model is not null)
                {
                    Sender.Tell(new Loaded(_placement.Name, Cluster.Get(Context.System).SelfAddress.ToString()));
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void AwaitingRouter(object message)
    {
        switch (message)
        {
            case Routed routed when routed.StepId == _step!.Request.StepId:
                Ops.Add(_step.X, routed.Output);
                _step.Layer++;
                Continue();
                break;
            case RoutingFailed failed when failed.StepId == _step!.Request.StepId:
                FailStep($"layer {failed.Layer}: {failed.Error}");
                break;
            case Routed or RoutingFailed:
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    private void Reserve(ReserveSlot reserve)
    {
        if (_model is null)
        {
            Sender.Tell(new SlotFailed(_placement.Name, reserve.SequenceId, _loadError ?? "layer group not loaded"));
            return;
        }

        var state = _model.CreateState();
        _slots[reserve.SequenceId] = state;
        Sender.Tell(new SlotReserved(_placement.Name, reserve.SequenceId, state.ByteCount, state.Position));
    }

    private void StartStep(ForwardBatch request)
    {
        try
        {
            var model = Model;
            var hidden = model.Config.HiddenSize;
            var total = request.Entries.Sum(e => e.Tokens);
            if (request.Entries.Any(e => e.Tokens <= 0))
            {
                throw new ArgumentException("every batch entry needs at least one token");
            }

            var states = request.Entries.Select(e => _slots.TryGetValue(e.SequenceId, out var state)
                ? state
                : throw new InvalidOperationException($"sequence {e.SequenceId} has no state slot in layers {_placement.Name}")).ToArray();

            float[] x;
            if (_placement.FirstLayer == 0)
            {
                var ids = request.TokenIds ?? throw new ArgumentException("the first layer group needs token ids");
                if (ids.Length != total)
                {
                    throw new ArgumentException($"{ids.Length} token ids for entries totalling {total} tokens");
                }

                x = model.Embed(ids);
            }
            else
            {
                var input = request.Hidden ?? throw new ArgumentException($"layers {_placement.Name} need hidden rows");
                if (input.Rows != total || input.Cols != hidden)
                {
                    throw new ArgumentException($"hidden rows are [{input.Rows}, {input.Cols}], expected [{total}, {hidden}]");
                }

                x = input.ToSingles();
            }

            foreach (var state in states)
            {
                model.CheckState(state);
            }

            var segments = Segment.Pack(request.Entries.Select(e => e.Tokens));
            _step = new StepContext(request, Sender, x, total, segments, states, Stopwatch.StartNew()) { Layer = _placement.FirstLayer };
            Continue();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Layer group {Group} rejected step {StepId}", _placement.Name, request.StepId);
            Sender.Tell(new BatchFailed(_placement.Name, request.StepId, e.Message));
        }
    }

    // Runs layers until the next MoE feed-forward (handed to a router) or the end of the range.
    private void Continue()
    {
        var step = _step!;
        var model = Model;
        try
        {
            while (step.Layer < _placement.EndLayer)
            {
                var layer = model.Layers[step.Layer]!;
                var layerStates = step.States.Select(s => s.Layers[step.Layer]!).ToArray();
                layer.ForwardMixer(step.X, step.Segments, layerStates);

                if (layer.FeedForward is MoeBlock moe)
                {
                    var normed = layer.PreFeedForwardNorm(step.X);
                    var layerIndex = step.Layer;
                    var experts = _expertRegionOf(layerIndex);
                    Context.ActorOf(Props.Create(() => new RouterActor(layerIndex, step.Request.StepId, normed, step.Rows,
                        moe.Router, experts, _routerSettings, _metrics, _logger)));
                    Context.Become(AwaitingRouter);
                    return;
                }

                layer.ForwardFeedForward(step.X, step.Rows);
                step.Layer++;
            }

            FinishStep();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Layer group {Group} failed in step {StepId} at layer {Layer}", _placement.Name, step.Request.StepId, step.Layer);
            FailStep($"layer {step.Layer}: {e.Message}");
        }
    }

    private void FinishStep()
    {
        var step = _step!;
        var model = Model;
        var hidden = model.Config.HiddenSize;
        var entries = step.Request.Entries;
        for (var e = 0; e < entries.Length; e++)
        {
            step.States[e].Position += entries[e].Tokens;
        }

        Tensor output;
        var isLogits = _holdsHead;
        if (isLogits)
        {
            // Only the last row of each sequence that samples next is projected onto the vocabulary.
            var lastRows = new List<int>();
            var offset = 0;
            foreach (var entry in entries)
            {
                offset += entry.Tokens;
                if (entry.NeedsLogits)
                {
                    lastRows.Add(offset - 1);
                }
            }

            var gathered = new float[lastRows.Count * hidden];
            for (var i = 0; i < lastRows.Count; i++)
            {
                step.X.AsSpan(lastRows[i] * hidden, hidden).CopyTo(gathered.AsSpan(i * hidden));
            }

            var logits = lastRows.Count > 0 ? model.Logits(gathered, lastRows.Count) : [];
            output = Tensor.FromSingles(logits, lastRows.Count, model.Config.VocabSize);
        }
        else
        {
            output = Tensor.FromSingles(step.X, step.Rows, hidden);
        }

        _metrics.LayerGroupTime(_placement.Name, step.Elapsed.Elapsed);
        step.ReplyTo.Tell(new BatchForwarded(_placement.Name, step.Request.StepId, output, isLogits,
            step.States.Select(s => s.ByteCount).ToArray()));
        EndStep();
    }

    // A step that fails part-way leaves its sequences' states advanced through some layers only. The
    // batcher fails those generations, and each session rebuilds its slots from its token history.
    private void FailStep(string error)
    {
        _step!.ReplyTo.Tell(new BatchFailed(_placement.Name, _step.Request.StepId, error));
        EndStep();
    }

    private void EndStep()
    {
        _step = null;
        Context.Become(OnReceive);
        Stash.UnstashAll();
    }

    private void TakeSnapshot(SnapshotSlot request)
    {
        if (!_slots.TryGetValue(request.SequenceId, out var state))
        {
            Sender.Tell(new SlotFailed(_placement.Name, request.SequenceId, $"no state slot in layers {_placement.Name}"));
            return;
        }

        var layers = Enumerable.Range(_placement.FirstLayer, _placement.EndLayer - _placement.FirstLayer).ToArray();
        var snapshots = layers.Select(i => SingleLayer(state, i).Serialize()).ToArray();
        Sender.Tell(new SlotSnapshot(_placement.Name, request.SequenceId, layers, snapshots));
    }

    private void Restore(RestoreSlot request)
    {
        try
        {
            var state = Model.CreateState();
            var position = -1;
            for (var i = _placement.FirstLayer; i < _placement.EndLayer; i++)
            {
                var index = Array.IndexOf(request.Layers, i);
                if (index < 0)
                {
                    throw new InvalidDataException($"the snapshot has no state for layer {i}");
                }

                var single = SingleLayer(state, i);
                single.Restore(request.States[index]);
                if (position >= 0 && single.Position != position)
                {
                    throw new InvalidDataException($"layer {i} is at position {single.Position}, earlier layers at {position}");
                }

                position = single.Position;
            }

            state.Position = position;
            _slots[request.SequenceId] = state;
            Sender.Tell(new SlotReserved(_placement.Name, request.SequenceId, state.ByteCount, state.Position));
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
        {
            _logger.LogWarning("Restoring sequence {SequenceId} in layers {Group} failed: {Error}", request.SequenceId, _placement.Name, e.Message);
            Sender.Tell(new SlotFailed(_placement.Name, request.SequenceId, e.Message));
        }
    }

    // A view of one layer of the state: it shares that layer's cache, so restoring it fills the slot.
    private static SequenceState SingleLayer(SequenceState state, int layer)
    {
        var layers = new LayerState?[state.Layers.Length];
        layers[layer] = state.Layers[layer];
        return new SequenceState(layers) { Position = state.Position };
    }

    private sealed class StepContext(ForwardBatch request, IActorRef replyTo, float[] x, int rows, Segment[] segments,
        SequenceState[] states, Stopwatch elapsed)
    {
        public ForwardBatch Request { get; } = request;

        public IActorRef ReplyTo { get; } = replyTo;

        public float[] X { get; } = x;

        public int Rows { get; } = rows;

        /// <summary>The rows of each entry in x, in entry order.</summary>
        public Segment[] Segments { get; } = segments;

        public SequenceState[] States { get; } = states;

        public Stopwatch Elapsed { get; } = elapsed;

        public int Layer { get; set; }
    }
}
