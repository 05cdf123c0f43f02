namespace Jamba.Kernels;

/// <summary>How many cores the kernels spread one call over; process-wide, like a thread-count flag.</summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Threads per kernel call; defaults to the logical processor count.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _threads = value;
        }
    }

    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = _threads };
}
