using Akka.Actor;
using Akka.Cluster;
using Jamba.Actors.Wire;
using Jamba.Engine;
using Jamba.Engine.Layers;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Experts;

/// <summary>
/// One expert of one MoE layer, a sharded entity ("layer/expert"). It loads its own weights when
/// Cluster Sharding starts it on a node, so re-homing after a node leaves needs nothing else.
/// </summary>
public sealed class ExpertActor : ReceiveActor
{
    private readonly string _entityId;
    private readonly string _modelDirectory;
    private readonly ILogger _logger;
    private JambaModel? _model;
    private DenseMlp? _expert;
    private string? _loadError;

    public ExpertActor(string entityId, string modelDirectory, ILogger logger)
    {
        _entityId = entityId;
        _modelDirectory = modelDirectory;
        _logger = logger;

        Receive<ApplyExpert>(Apply);
        Receive<ProbeLoaded>(_ =>
        {
            if (_expert is not null)
            {
                Sender.Tell(new Loaded(_entityId, Cluster.Get(Context.System).SelfAddress.ToString()));
            }
        });
    }

    protected override void PreStart()
    {
        if (!ExpertIds.TryParse(_entityId, out var layer, out var expert))
        {
            _loadError = $"'{_entityId}' is not an expert id of the form layer/expert";
            _logger.LogError("Expert entity {EntityId} rejected: {Error}", _entityId, _loadError);
            return;
        }

        try
        {
            _model = JambaModel.Load(_modelDirectory, ModelPart.ExpertsOnly((l, e) => l == layer && e == expert));
            if (layer >= _model.Config.NumHiddenLayers || _model.ExpertBlocks[layer]?.Experts.ElementAtOrDefault(expert) is not { } mlp)
            {
                _loadError = $"layer {layer} has no expert {expert} in {_modelDirectory}";
                _logger.LogError("Expert entity {EntityId} rejected: {Error}", _entityId, _loadError);
                return;
            }

            _expert = mlp;
            _logger.LogInformation("Expert {Layer}/{Expert} loaded on {Node}", layer, expert, Cluster.Get(Context.System).SelfAddress);
        }
        catch (Exception e)
        {
            _loadError = $"loading expert {_entityId} failed: {e.Message}";
            _logger.LogError(e, "Loading expert {EntityId} failed", _entityId);
        }
    }

    protected override void PostStop() => _model?.Dispose();

    private void Apply(ApplyExpert request)
    {
        if (_expert is null)
        {
            Sender.Tell(new ExpertFailed(request.Layer, request.Expert, request.StepId, _loadError ?? "expert not loaded"));
            return;
        }

        try
        {
            var rows = request.Rows.ToSingles();
            var output = new float[rows.Length];
            _expert.Forward(rows, request.Rows.Rows, output);
            Sender.Tell(new ExpertApplied(request.Layer, request.Expert, request.StepId,
                Tensor.FromSingles(output, request.Rows.Rows, request.Rows.Cols)));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Expert {EntityId} failed on step {StepId}", _entityId, request.StepId);
            Sender.Tell(new ExpertFailed(request.Layer, request.Expert, request.StepId, e.Message));
        }
    }
}
