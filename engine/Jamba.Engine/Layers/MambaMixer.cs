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
    private readonly Linear _inProj;
    private readonly float[] _convWeight; // [d_inner, d_conv]
    private readonly float[]? _convBias;
    private readonly Linear _xProj;
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

    private MambaMixer(JambaConfig config, Linear inProj, float[] convWeight, float[]? convBias, Linear xProj,
        RmsNorm? dtNorm, RmsNorm? bNorm, RmsNorm? cNorm, Linear dtProj, float[] a, float[] d, Linear outProj)
    {
        _inProj = inProj;
        _convWeight = convWeight;
        _convBias = convBias;
        _xProj = xProj;
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
        RmsNorm? Norm(string name, long width) => config.MambaInnerLayerNorms
            ? new RmsNorm(checkpoint.Vector($"{prefix}.{name}.weight", width), config.RmsNormEps)
            : null;

        var aLog = checkpoint.Weight($"{prefix}.A_log", dInner, dState).ToFloatArray();
        var a = aLog.Select(value => -MathF.Exp(value)).ToArray();

        return new MambaMixer(
            config,
            new Linear(backend, Matrix("in_proj", 2 * dInner, hidden), Bias("in_proj", 2 * dInner)),
            checkpoint.Weight($"{prefix}.conv1d.weight", dInner, 1, config.MambaDConv).ToFloatArray(),
            config.MambaConvBias ? checkpoint.Vector($"{prefix}.conv1d.bias", dInner) : null,
            new Linear(backend, Matrix("x_proj", dtRank + 2 * dState, dInner)),
            Norm("dt_layernorm", dtRank),
            Norm("b_layernorm", dState),
            Norm("c_layernorm", dState),
            new Linear(backend, Matrix("dt_proj", dInner, dtRank), checkpoint.Vector($"{prefix}.dt_proj.bias", dInner)),
            a,
            checkpoint.Vector($"{prefix}.D", dInner),
            new Linear(backend, Matrix("out_proj", hidden, dInner), Bias("out_proj", hidden)));
    }

    public MambaCache CreateCache() => new(_dInner, _dConv, _dState);

    /// <summary>Mixes T new tokens x [T, hidden] on top of <paramref name="cache"/>, writing [T, hidden].</summary>
    public void Forward(ReadOnlySpan<float> x, int T, MambaCache cache, Span<float> output)
    {
        int dInner = _dInner, dState = _dState, dtRank = _dtRank;

        // Input projection, split into the SSM input and the gate z.
        var xz = new float[T * 2 * dInner];
        _inProj.Forward(x, T, xz);
        var u = new float[T * dInner];
        var z = new float[T * dInner];
        for (var t = 0; t < T; t++)
        {
            xz.AsSpan(t * 2 * dInner, dInner).CopyTo(u.AsSpan(t * dInner));
            xz.AsSpan(t * 2 * dInner + dInner, dInner).CopyTo(z.AsSpan(t * dInner));
        }

        // Causal depthwise conv1d over the window of past inputs, then SiLU.
        CausalConv(u, T, cache.ConvWindow);
        Ops.SiLU(u);

        // Input-dependent dt, B and C, each RMS-normalised.
        var width = dtRank + 2 * dState;
        var ssmParameters = new float[T * width];
        _xProj.Forward(u, T, ssmParameters);
        var dt = new float[T * dtRank];
        var b = new float[T * dState];
        var c = new float[T * dState];
        for (var t = 0; t < T; t++)
        {
            ssmParameters.AsSpan(t * width, dtRank).CopyTo(dt.AsSpan(t * dtRank));
            ssmParameters.AsSpan(t * width + dtRank, dState).CopyTo(b.AsSpan(t * dState));
            ssmParameters.AsSpan(t * width + dtRank + dState, dState).CopyTo(c.AsSpan(t * dState));
        }

        _dtNorm?.Forward(dt, dt);
        _bNorm?.Forward(b, b);
        _cNorm?.Forward(c, c);

        // delta = softplus(dt_proj(dt)), with dt_proj's bias added inside the projection.
        var delta = new float[T * dInner];
        _dtProj.Forward(dt, T, delta);
        for (var i = 0; i < delta.Length; i++)
        {
            delta[i] = Ops.Softplus(delta[i]);
        }

        // Selective scan, then the gate.
        var y = new float[T * dInner];
        SelectiveScan(u, delta, b, c, T, cache.Ssm, y);
        Ops.SiLU(z);
        Ops.Multiply(y, z);

        _outProj.Forward(y, T, output);
    }

    // out[t, c] = bias[c] + Σ_k w[c, k] · input[t - (d_conv - 1) + k], where inputs before this call
    // come from the window. The window ends holding the last d_conv inputs.
    private void CausalConv(Span<float> u, int T, float[] window)
    {
        int dInner = _dInner, dConv = _dConv;
        var history = new float[(dConv - 1 + T) * dInner];
        window.AsSpan(dInner, (dConv - 1) * dInner).CopyTo(history);
        u.CopyTo(history.AsSpan((dConv - 1) * dInner));

        for (var t = 0; t < T; t++)
        {
            var output = u.Slice(t * dInner, dInner);
            for (var ch = 0; ch < dInner; ch++)
            {
                var sum = _convBias?[ch] ?? 0f;
                for (var k = 0; k < dConv; k++)
                {
                    sum += _convWeight[ch * dConv + k] * history[(t + k) * dInner + ch];
                }

                output[ch] = sum;
            }
        }

        history.AsSpan((history.Length / dInner - dConv) * dInner, dConv * dInner).CopyTo(window);
    }

    // h[c, :] = exp(delta[t, c] · A[c, :]) ⊙ h[c, :] + delta[t, c] · u[t, c] · B[t, :]
    // y[t, c] = <h[c, :], C[t, :]> + D[c] · u[t, c]
    private void SelectiveScan(float[] u, float[] delta, float[] b, float[] c, int T, float[] h, float[] y)
    {
        int dInner = _dInner, dState = _dState;
        Span<float> decay = stackalloc float[dState];
        for (var t = 0; t < T; t++)
        {
            var bt = b.AsSpan(t * dState, dState);
            var ct = c.AsSpan(t * dState, dState);
            for (var ch = 0; ch < dInner; ch++)
            {
                var dt = delta[t * dInner + ch];
                var input = u[t * dInner + ch];
                var state = h.AsSpan(ch * dState, dState);

                TensorPrimitives.Multiply(_a.AsSpan(ch * dState, dState), dt, decay);
                TensorPrimitives.Exp(decay, decay);
                TensorPrimitives.Multiply(state, decay, state);
                TensorPrimitives.MultiplyAdd(bt, dt * input, state, state);

                y[t * dInner + ch] = TensorPrimitives.Dot(state, ct) + _d[ch] * input;
            }
        }
    }
}
