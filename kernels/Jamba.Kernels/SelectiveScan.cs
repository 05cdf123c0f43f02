using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Kernels;

/// <summary>
/// Mamba's selective scan over T tokens of one sequence, for every channel c of d_inner:
/// h[c, :] = exp(delta[t, c] · A[c, :]) ⊙ h[c, :] + delta[t, c] · u[t, c] · B[t, :] and
/// y[t, c] = &lt;h[c, :], C[t, :]&gt; + D[c] · u[t, c].
/// Channels are independent, so the loop runs channel by channel with h[c, :] held in registers
/// across all T tokens; d_state 16 fits two 256-bit vectors.
/// </summary>
public static class SelectiveScan
{
    /// <param name="u">Inputs [T, d_inner].</param>
    /// <param name="delta">Step sizes after softplus [T, d_inner].</param>
    /// <param name="b">B [T, d_state].</param>
    /// <param name="c">C [T, d_state].</param>
    /// <param name="a">A = -exp(A_log) [d_inner, d_state].</param>
    /// <param name="d">D [d_inner].</param>
    /// <param name="h">SSM state [d_inner, d_state], updated in place.</param>
    /// <param name="y">Outputs [T, d_inner].</param>
    public static void Run(ReadOnlySpan<float> u, ReadOnlySpan<float> delta, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> a, ReadOnlySpan<float> d, Span<float> h, Span<float> y)
    {
        var dInner = d.Length;
        var dState = a.Length / dInner;
        var T = u.Length / dInner;
        if (dState == 16 && Vector256.IsHardwareAccelerated)
        {
            RunState16(u, delta, b, c, a, d, h, y, dInner, T);
        }
        else
        {
            RunScalar(u, delta, b, c, a, d, h, y, dInner, dState, T);
        }
    }

    public static void RunScalar(ReadOnlySpan<float> u, ReadOnlySpan<float> delta, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> a, ReadOnlySpan<float> d, Span<float> h, Span<float> y, int dInner, int dState, int T)
    {
        for (var ch = 0; ch < dInner; ch++)
        {
            var state = h.Slice(ch * dState, dState);
            var decayRates = a.Slice(ch * dState, dState);
            for (var t = 0; t < T; t++)
            {
                var dt = delta[t * dInner + ch];
                var input = u[t * dInner + ch];
                var bt = b.Slice(t * dState, dState);
                var ct = c.Slice(t * dState, dState);
                var sum = 0f;
                for (var n = 0; n < dState; n++)
                {
                    state[n] = MathF.Exp(dt * decayRates[n]) * state[n] + dt * input * bt[n];
                    sum += state[n] * ct[n];
                }

                y[t * dInner + ch] = sum + d[ch] * input;
            }
        }
    }

    private static void RunState16(ReadOnlySpan<float> u, ReadOnlySpan<float> delta, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> a, ReadOnlySpan<float> d, Span<float> h, Span<float> y, int dInner, int T)
    {
        ref var bRef = ref MemoryMarshal.GetReference(b);
        ref var cRef = ref MemoryMarshal.GetReference(c);
        for (var ch = 0; ch < dInner; ch++)
        {
            ref var hRef = ref h[ch * 16];
            var aLow = Vector256.Create(a.Slice(ch * 16, 8));
            var aHigh = Vector256.Create(a.Slice(ch * 16 + 8, 8));
            var hLow = Vector256.LoadUnsafe(ref hRef);
            var hHigh = Vector256.LoadUnsafe(ref hRef, 8);
            for (var t = 0; t < T; t++)
            {
                var dt = delta[t * dInner + ch];
                var input = u[t * dInner + ch];
                var dtVector = Vector256.Create(dt);
                var dtInput = Vector256.Create(dt * input);
                var offset = (nuint)(t * 16);

                hLow = Vector256.Exp(aLow * dtVector) * hLow + dtInput * Vector256.LoadUnsafe(ref bRef, offset);
                hHigh = Vector256.Exp(aHigh * dtVector) * hHigh + dtInput * Vector256.LoadUnsafe(ref bRef, offset + 8);

                var products = hLow * Vector256.LoadUnsafe(ref cRef, offset) + hHigh * Vector256.LoadUnsafe(ref cRef, offset + 8);
                y[t * dInner + ch] = Vector256.Sum(products) + d[ch] * input;
            }

            hLow.StoreUnsafe(ref hRef);
            hHigh.StoreUnsafe(ref hRef, 8);
        }
    }
}
