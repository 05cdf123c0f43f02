using Jamba.Engine.Loading;
using Jamba.Kernels;

namespace Jamba.Engine.Layers;

/// <summary>SwiGLU MLP: down(silu(gate(x)) * up(x)). Also the body of each MoE expert.</summary>
public sealed class DenseMlp : IFeedForward
{
    private readonly Linear _gate;
    private readonly Linear _up;
    private readonly Linear _down;

    public DenseMlp(Linear gate, Linear up, Linear down)
    {
        _gate = gate;
        _up = up;
        _down = down;
    }

    public static DenseMlp Load(Checkpoint checkpoint, IComputeBackend backend, string prefix)
    {
        var config = checkpoint.Config;
        long hidden = config.HiddenSize, intermediate = config.IntermediateSize;
        return new DenseMlp(
            new Linear(backend, backend.Prepare(checkpoint.Weight($"{prefix}.gate_proj.weight", intermediate, hidden))),
            new Linear(backend, backend.Prepare(checkpoint.Weight($"{prefix}.up_proj.weight", intermediate, hidden))),
            new Linear(backend, backend.Prepare(checkpoint.Weight($"{prefix}.down_proj.weight", hidden, intermediate))));
    }

    public long ParameterCount => _gate.Weight.ElementCount + _up.Weight.ElementCount + _down.Weight.ElementCount;

    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y, RoutingTrace? trace = null)
    {
        var intermediate = _gate.OutFeatures;
        var gate = new float[n * intermediate];
        var up = new float[n * intermediate];
        _gate.Forward(x, n, gate);
        _up.Forward(x, n, up);

        Ops.SiLU(gate);
        Ops.Multiply(gate, up);

        _down.Forward(gate, n, y);
    }
}
