using System.Numerics.Tensors;
using Jamba.Engine.Loading;
using Jamba.Engine.State;
using Jamba.Kernels;

namespace Jamba.Engine.Layers;

/// <summary>
/// Jamba's Mamba mixer: a selective state-space layer whose per-sequence state has a fixed size
/// (the conv window and h), however long the sequence grows.
/// </summary>
public sealed class MambaMixer
{
    // in_proj and x_proj are split by output rows at load, so each part writes its own buffer.
    private readonly Linear _inProjX;
    private readonly Linear _inProjZ;
    private readonly float[] _convTaps; // conv1d weight transposed to [d_conv, d_inner], one row per tap
    private readonly float[]? _convBias;
    private readonly Linear _xProjDt;
    private readonly Linear _xProjB;
    private readonly Linear _xProjC;
    private readonly RmsNorm? _dtNorm;
    private readonly RmsNorm? _bNorm;
    private readonly RmsNorm? _cNorm;
    private readonly Linear _dtProj;
    private readonly float[] _a; // A = -exp(A_log), [d_inner, d_state]
    private readonly float[] _d;
    private readonly Linear _outProj;

    private readonly int _dInner;
    private readonly int _dState;
    private readonly int _dConv;
    private readonly int _dtRank;

    private MambaMixer(JambaConfig config, (Linear X, Linear Z) inProj, float[] convWeight, float[]? convBias,
        (Linear Dt, Linear B, Linear C) xProj,
        RmsNorm? dtNorm, RmsNorm? bNorm, RmsNorm? cNorm, Linear dtProj, float[] a, float[] d, Linear outProj)
    {
        (_inProjX, _inProjZ) = inProj;
        _convTaps = Transpose(convWeight, config.MambaDInner, config.MambaDConv);
        _convBias = convBias;
        (_xProjDt, _xProjB, _xProjC) = xProj;
        _dtNorm = dtNorm;
        _bNorm = bNorm;
        _cNorm = cNorm;
        _dtProj = dtProj;
        _a = a;
        _d = d;
        _outProj = outProj;
        _dInner = config.MambaDInner;
        _dState = config.MambaDState;
        _dConv = config.MambaDConv;
        _dtRank = config.MambaDtRank;
    }

    public static MambaMixer Load(Checkpoint checkpoint, IComputeBackend backend, int layer)
    {
        var config = checkpoint.Config;
        var prefix = $"model.layers.{layer}.mamba";
        long hidden = config.HiddenSize, dInner = config.MambaDInner, dState = config.MambaDState;
        long dtRank = config.MambaDtRank;

        float[]? Bias(string name, long length) =>
            config.MambaProjBias ? checkpoint.Vector($"{prefix}.{name}.bias", length) : null;
        Weight Matrix(string name, long rows, long cols) =>
            backend.Prepare(checkpoint.Weight($"{prefix}.{name}.weight", rows, cols));
        Linear Part(HostWeight whole, float[]? bias, long start, long count) => new(
            backend,
            backend.Prepare(whole.SliceRows((int)start, (int)count)),
            bias?.AsSpan((int)start, (int)count).ToArray());
        RmsNorm? Norm(string name, long width) => config.MambaInnerLayerNorms
            ? new RmsNorm(checkpoint.Vector($"{prefix}.{name}.weight", width), config.RmsNormEps)
            : null;

        var inProj = checkpoint.Weight($"{prefix}.in_proj.weight", 2 * dInner, hidden);
        var inProjBias = Bias("in_proj", 2 * dInner);
        var xProj = checkpoint.Weight($"{prefix}.x_proj.weight", dtRank + 2 * dState, dInner);
        var aLog = checkpoint.Weight($"{prefix}.A_log", dInner, dState).ToFloatArray();
        var a = aLog.Select(value => -MathF.Exp(value)).ToArray();

        return new MambaMixer(
            config,
            (Part(inProj, inProjBias, 0, dInner), Part(inProj, inProjBias, dInner, dInner)),
            checkpoint.Weight($"{prefix}.conv1d.weight", dInner, 1, config.MambaDConv).ToFloatArray(),
            config.MambaConvBias ? checkpoint.Vector($"{prefix}.conv1d.bias", dInner) : null,
            (Part(xProj, null, 0, dtRank), Part(xProj, null, dtRank, dState), Part(xProj, null, dtRank + dState, dState)),
            Norm("dt_layernorm", dtRank),
            Norm("b_layernorm", dState),
            Norm("c_layernorm", dState),
            new Linear(backend, Matrix("dt_proj", dInner, dtRank), checkpoint.Vector($"{prefix}.dt_proj.bias", dInner)),
            a,
            checkpoint.Vector($"{prefix}.D", dInner),
            new Linear(backend, Matrix("out_proj", hidden, dInner), Bias("out_proj", hidden)));
    }

    public bool Fits(MambaCache cache) => cache.DInner == _dInner && cache.DConv == _dConv && cache.DState == _dState;

    public MambaCache CreateCache() => new(_dInner, _dConv, _dState);

    /// <summary>Mixes T new tokens x [T, hidden] on top of <paramref name="cache"/>, writing [T, hidden].</summary>
    public void Forward(ReadOnlySpan<float> x, int T, MambaCache cache, Span<float> output) =>
        Forward(x, Segment.Single(T), [cache], output);

    /// <summary>
    /// Mixes a batch of sequences: the projections run once over all rows, the conv and the scan run
    /// per segment on that sequence's cache.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, IReadOnlyList<Segment> segments, IReadOnlyList<MambaCache> caches, Span<float> output)
    {
        int dInner = _dInner, dState = _dState, dtRank = _dtRank;
        var n = Segment.TotalRows(segments);

        // Input projection: the SSM input u and the gate z.
        var u = new float[n * dInner];
        var z = new float[n * dInner];
        _inProjX.Forward(x, n, u);
        _inProjZ.Forward(x, n, z);

        // Causal depthwise conv1d over the window of past inputs, then SiLU.
        for (var s = 0; s < segments.Count; s++)
        {
            var segment = segments[s];
            CausalConv(u.AsSpan(segment.Start * dInner, segment.Count * dInner), segment.Count, caches[s].ConvWindow);
        }

        Ops.SiLU(u);

        // Input-dependent dt, B and C, each RMS-normalised.
        var dt = new float[n * dtRank];
        var b = new float[n * dState];
        var c = new float[n * dState];
        _xProjDt.Forward(u, n, dt);
        _xProjB.Forward(u, n, b);
        _xProjC.Forward(u, n, c);

        _dtNorm?.Forward(dt, dt);
        _bNorm?.Forward(b, b);
        _cNorm?.Forward(c, c);

        // delta = softplus(dt_proj(dt)), with dt_proj's bias added inside the projection.
        var delta = new float[n * dInner];
        _dtProj.Forward(dt, n, delta);
        Ops.Softplus(delta);

        // Selective scan per sequence, then the gate.
        var y = new float[n * dInner];
        for (var s = 0; s < segments.Count; s++)
        {
            var (start, count) = segments[s];
            SelectiveScan.Run(
                u.AsSpan(start * dInner, count * dInner),
                delta.AsSpan(start * dInner, count * dInner),
                b.AsSpan(start * dState, count * dState),
                c.AsSpan(start * dState, count * dState),
                _a, _d, caches[s].Ssm,
                y.AsSpan(start * dInner, count * dInner));
        }

        Ops.SiLU(z);
        Ops.Multiply(y, z);

        _outProj.Forward(y, n, output);
    }

    // out[t, c] = bias[c] + Σ_k w[c, k] · input[t - (d_conv - 1) + k], where inputs before this call
    // come from the window. The window ends holding the last d_conv inputs. Each tap is one
    // multiply-add across all channels.
    private void CausalConv(Span<float> u, int T, float[] window)
    {
        int dInner = _dInner, dConv = _dConv;
        var history = new float[(dConv - 1 + T) * dInner];
        window.AsSpan(dInner, (dConv - 1) * dInner).CopyTo(history);
        u.CopyTo(history.AsSpan((dConv - 1) * dInner));

        for (var t = 0; t < T; t++)
        {
            var output = u.Slice(t * dInner, dInner);
            if (_convBias is null)
            {
                output.Clear();
            }
            else
            {
                _convBias.CopyTo(output);
            }

            for (var k = 0; k < dConv; k++)
            {
                TensorPrimitives.MultiplyAdd(history.AsSpan((t + k) * dInner, dInner), _convTaps.AsSpan(k * dInner, dInner), output, output);
            }
        }

        history.AsSpan((history.Length / dInner - dConv) * dInner, dConv * dInner).CopyTo(window);
    }

    private static float[] Transpose(float[] matrix, int rows, int cols)
    {
        var result = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                result[c * rows + r] = matrix[r * cols + c];
            }
        }

        return result;
    }
}
