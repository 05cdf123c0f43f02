namespace Jamba.Cli.Benchmarking;

/// <summary>The median of repeated measurements and how far they spread.</summary>
public sealed record Summary(double Median, double Min, double Max, IReadOnlyList<double> Samples)
{
    /// <summary>(max - min) / median, in percent: 0 when every repetition measured the same.</summary>
    public double SpreadPercent => Median == 0 ? 0 : (Max - Min) / Median * 100;

    public static Summary Of(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("at least one sample is needed", nameof(samples));
        }

        var sorted = samples.Order().ToArray();
        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Summary(median, sorted[0], sorted[^1], samples.ToArray());
    }
}
