namespace Jamba.Engine.Generation;

/// <summary>
/// Scans streamed text for stop strings. Text that could still grow into a stop string is held back and
/// released as soon as the next text rules that out, so a stop string never reaches the client even
/// when tokens split it.
/// </summary>
internal sealed class StopStringMatcher(IReadOnlyList<string> stopStrings)
{
    private readonly int _maxStopLength = stopStrings.Count == 0 ? 0 : stopStrings.Max(stop => stop.Length);
    private string _possibleStopStart = string.Empty;

    /// <summary>Adds text and returns the text now safe to release and whether a stop string was found.</summary>
    public (string Released, bool Stopped) Push(string text)
    {
        if (stopStrings.Count == 0)
        {
            return (text, false);
        }

        var pending = _possibleStopStart + text;
        var stopAt = -1;
        foreach (var stop in stopStrings)
        {
            var index = pending.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (stopAt < 0 || index < stopAt))
            {
                stopAt = index;
            }
        }

        if (stopAt >= 0)
        {
            _possibleStopStart = string.Empty;
            return (pending[..stopAt], true);
        }

        var keep = PartialMatchStart(pending);
        _possibleStopStart = pending[keep..];
        return (pending[..keep], false);
    }

    /// <summary>Returns the held text once no more text will come.</summary>
    public string Flush()
    {
        var text = _possibleStopStart;
        _possibleStopStart = string.Empty;
        return text;
    }

    /// <summary>Returns the earliest index from which the rest of <paramref name="text"/> is a proper prefix of a stop string.</summary>
    private int PartialMatchStart(string text)
    {
        // Only the last max-length - 1 characters can be a proper prefix of a stop string.
        for (var start = Math.Max(0, text.Length - _maxStopLength + 1); start < text.Length; start++)
        {
            var tail = text.AsSpan(start);
            foreach (var stop in stopStrings)
            {
                if (tail.Length < stop.Length && stop.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                {
                    return start;
                }
            }
        }

        return text.Length;
    }
}
