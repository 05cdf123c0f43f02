namespace Jamba.Kernels;

/// <summary>
/// Computes on the host CPU with SIMD kernels. With <see cref="WeightFormat.Stored"/> it reads
/// weights where they were mapped; other formats convert each matrix once at load.
/// </summary>
public sealed class CpuBackend(WeightFormat format = WeightFormat.Stored) : IComputeBackend
{
    public static CpuBackend Instance { get; } = new();

    public WeightFormat Format => format;

    private long _weightBytes;

    /// <summary>Bytes of all weights prepared so far, in the format this backend keeps them.</summary>
    public long WeightBytes => Interlocked.Read(ref _weightBytes);

    public string Name => format == WeightFormat.Stored ? "cpu" : $"cpu-{format.ToString().ToLowerInvariant()}";

    public Weight Prepare(Weight source, bool exact = false)
    {
        var prepared = exact ? source : Convert(source);
        Interlocked.Add(ref _weightBytes, prepared is Int8Weight int8 ? int8.StoredBytes : prepared.ByteCount);
        return prepared;
    }

    private Weight Convert(Weight source) =>
        format switch
        {
            WeightFormat.Stored => source,
            WeightFormat.Int8 => Int8Weight.Quantize(source),
            WeightFormat.F32 => source.Type == DType.F32 ? source : HostWeight.Convert(source, DType.F32),
            WeightFormat.BF16 => source.Type == DType.BF16 ? source : HostWeight.Convert(source, DType.BF16),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown weight format"),
        };

    public void MatMul(Weight w, ReadOnlySpan<float> x, int n, Span<float> y) =>
        Jamba.Kernels.MatMul.Compute(w, x, n, y);
}
