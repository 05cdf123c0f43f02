using Akka.Actor;
using Jamba.Actors.Hosting;
using Jamba.Actors.Wire;
using Jamba.Engine.Layers;
using Microsoft.Extensions.Logging;

namespace Jamba.Actors.Experts;

/// <summary>
/// Runs the MoE feed-forward of one layer for one batch step: softmax and top-k over the router
/// logits, one message per chosen expert carrying only its rows, then the weighted sum of the
/// replies. It lives for one step and replies to its parent with <see cref="Routed"/> or <see cref="RoutingFailed"/>.
/// </summary>
public sealed class RouterActor : ReceiveActor, IWithTimers
{
    private const string RetryTimer = "retry";

    private readonly int _layer;
    private readonly long _stepId;
    private readonly float[] _normed;
    private readonly int _rows;
    private readonly int _hidden;
    private readonly Router _router;
    private readonly IActorRef _experts;
    private readonly RouterSettings _settings;
    private readonly IClusterMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<int, (int[] Rows, float[] Weights)> _assigned = new();
    private readonly Dictionary<int, float[]> _outputs = new();
    private int _attempt;

    public RouterActor(int layer, long stepId, float[] normed, int rows, Router router, IActorRef experts,
        RouterSettings settings, IClusterMetrics metrics, ILogger logger)
    {
        _layer = layer;
        _stepId = stepId;
        _normed = normed;
        _rows = rows;
        _hidden = normed.Length / rows;
        _router = router;
        _experts = experts;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;

        Receive<ExpertApplied>(r => r.StepId == _stepId && r.Layer == _layer, OnApplied);
        Receive<ExpertFailed>(r => r.StepId == _stepId && r.Layer == _layer, r =>
            Fail($"expert {r.Layer}/{r.Expert} failed: {r.Error}"));
        Receive<RetryMissing>(_ => OnRetry());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var routing = _router.Route(_normed, _rows);
        for (var expert = 0; expert < _router.NumExperts; expert++)
        {
            var assignment = routing.RowsOf(expert);
            if (assignment.Rows.Length > 0)
            {
                _assigned[expert] = assignment;
                _metrics.ExpertTokens(_layer, expert, assignment.Rows.Length);
            }
        }

        SendMissing();
    }

    private void SendMissing()
    {
        _attempt++;
        foreach (var (expert, assignment) in _assigned)
        {
            if (!_outputs.ContainsKey(expert))
            {
                _experts.Tell(new ApplyExpert(_layer, expert, _stepId, Gather(assignment.Rows)));
            }
        }

        Timers.StartSingleTimer(RetryTimer, RetryMissing.Instance, _settings.ExpertTimeout);
    }

    private Tensor Gather(int[] rows)
    {
        var gathered = new float[rows.Length * _hidden];
        for (var i = 0; i < rows.Length; i++)
        {
            _normed.AsSpan(rows[i] * _hidden, _hidden).CopyTo(gathered.AsSpan(i * _hidden));
        }

        return Tensor.FromSingles(gathered, rows.Length, _hidden);
    }

    private void OnApplied(ExpertApplied reply)
    {
        if (!_assigned.ContainsKey(reply.Expert) || _outputs.ContainsKey(reply.Expert))
        {
            return;
        }

        _outputs[reply.Expert] = reply.Output.ToSingles();
        if (_outputs.Count < _assigned.Count)
        {
            return;
        }

        // Experts are summed in index order, as the single-process MoE block does, so the result is bit-identical.
        var y = new float[_rows * _hidden];
        foreach (var expert in _assigned.Keys.Order())
        {
            var (rows, weights) = _assigned[expert];
            MoeBlock.Accumulate(_outputs[expert], rows, weights, _hidden, y);
        }

        Context.Parent.Tell(new Routed(_stepId, _layer, y));
        Context.Stop(Self);
    }

    // An expert whose node left mid-step never replies. Cluster Sharding re-homes it, and the resent
    // rows reach the new incarnation. Applying an expert is pure, so a late duplicate reply is harmless.
    private void OnRetry()
    {
        var missing = _assigned.Keys.Where(e => !_outputs.ContainsKey(e)).ToList();
        if (_attempt >= _settings.MaxAttempts)
        {
            Fail($"experts {string.Join(", ", missing.Select(e => $"{_layer}/{e}"))} did not reply after {_attempt} attempts " +
                 $"of {_settings.ExpertTimeout.TotalSeconds:0.#} s");
            return;
        }

        _logger.LogWarning("Step {StepId} layer {Layer}: experts {Experts} did not reply within {Timeout}; resending their rows (attempt {Attempt})",
            _stepId, _layer, missing, _settings.ExpertTimeout, _attempt + 1);
        SendMissing();
    }

    private void Fail(string error)
    {
        Context.Parent.Tell(new RoutingFailed(_stepId, _layer, error));
        Context.Stop(Self);
    }

    private sealed class RetryMissing
    {
        public static RetryMissing Instance { get; } = new();
    }
}

/// <summary>The MoE output [rows, hidden] of one layer for one step, to be added to the residual.</summary>
public sealed record Routed(long StepId, int Layer, float[] Output);

public sealed record RoutingFailed(long StepId, int Layer, string Error);

/// <summary>How long the router waits for an expert before resending its rows, and how often it tries.</summary>
public sealed record RouterSettings(TimeSpan ExpertTimeout, int MaxAttempts);
