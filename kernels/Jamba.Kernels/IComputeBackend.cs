namespace Jamba.Kernels;

/// <summary>
/// Where a model's matrix work runs. The engine hands every weight to <see cref="Prepare"/> once at
/// load and then multiplies only through <see cref="MatMul"/>, so a device backend can keep weights
/// resident on its device without the layers changing.
/// </summary>
/// <remarks>
/// NOTE: activations cross this interface as host spans. A device backend that keeps activations
/// resident too needs a device-buffer type here and the element-wise steps moved behind it.
/// </remarks>
public interface IComputeBackend
{
    string Name { get; }

    /// <summary>
    /// Makes <paramref name="source"/> usable by this backend: a device copy, a converted or quantized
    /// copy, or the source itself. <paramref name="exact"/> asks to keep the stored values, for small
    /// matrices whose rounding would change discrete decisions, such as the MoE router.
    /// </summary>
    Weight Prepare(Weight source, bool exact = false);

    /// <summary>y[n, w.Rows] = x[n, w.Cols] · wᵀ.</summary>
    void MatMul(Weight w, ReadOnlySpan<float> x, int n, Span<float> y);
}
