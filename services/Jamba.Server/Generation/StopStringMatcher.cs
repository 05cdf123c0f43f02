using System.Text;

namespace Jamba.Server.Generation;

/// <summary>
/// Finds stop strings in streamed text. Text that could still be the start of a stop string is held
/// back, so a client never receives part of a stop string, even when one spans several tokens.
/// </summary>
public sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _pending = new();

    public bool Stopped { get; private set; }

    /// <summary>Appends decoded text; returns the text safe to send. After a match it returns the text before the stop string and sets <see cref="Stopped"/>.</summary>
    public string Push(string text)
    {
        if (Stopped)
        {
            throw new InvalidOperationException("a stop string has already matched");
        }

        _pending.Append(text);
        var pending = _pending.ToString();

        var match = FirstMatch(pending);
        if (match >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return pending[..match];
        }

        var held = HeldBackLength(pending);
        _pending.Remove(0, pending.Length - held);
        return pending[..^held];
    }

    /// <summary>Returns the text held back at the end of generation, when no more tokens can complete a stop string.</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }

    private int FirstMatch(string text)
    {
        var first = -1;
        foreach (var stop in stops)
        {
            var index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (first < 0 || index < first))
            {
                first = index;
            }
        }

        return first;
    }

    /// <summary>Returns the length of the longest suffix of the text that is a proper prefix of a stop string.</summary>
    private int HeldBackLength(string text)
    {
        var held = 0;
        foreach (var stop in stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > held; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    held = length;
                    break;
                }
            }
        }

        return held;
    }
}
