namespace Jamba.Engine.Layers;

/// <summary>
/// The rows [Start, Start + Count) of a batch that belong to one sequence. A batch packs the new
/// tokens of several sequences into one activation matrix so projections read each weight once.
/// </summary>
public readonly record struct Segment(int Start, int Count)
{
    /// <summary>One segment covering all <paramref name="count"/> rows.</summary>
    public static Segment[] Single(int count) => [new Segment(0, count)];

    /// <summary>Consecutive segments of the given lengths.</summary>
    public static Segment[] Pack(IEnumerable<int> lengths)
    {
        var segments = new List<Segment>();
        var start = 0;
        foreach (var length in lengths)
        {
            segments.Add(new Segment(start, length));
            start += length;
        }

        return segments.ToArray();
    }

    public static int TotalRows(IReadOnlyList<Segment> segments) =>
        segments.Count == 0 ? 0 : segments[^1].Start + segments[^1].Count;
}
