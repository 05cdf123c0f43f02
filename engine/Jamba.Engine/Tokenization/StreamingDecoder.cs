using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Jamba.Engine.Tokenization;

/// <summary>
/// Turns token ids into text one token at a time, for streaming. Byte-fallback pieces that split a
/// character are held back until the character's UTF-8 sequence completes, so no delta contains a
/// U+FFFD made from half a character. The deltas concatenate to what <see cref="JambaTokenizer.Decode"/>
/// returns for the same ids. Use one instance per sequence, because it is not thread-safe.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly PieceTable _pieces;
    private readonly List<byte> _pending = [];

    // SentencePiece lets the first piece drop one leading space, the one the dummy prefix added. The
    // chance passes once a piece dropped it or any text came out.
    private bool _atStart = true;
    private bool _droppedLeadingSpace;
    private bool _emitted;

    internal StreamingDecoder(PieceTable pieces)
    {
        _pieces = pieces;
    }

    /// <summary>Adds one token and returns the text it completes, which is empty while a character is still partial.</summary>
    public string Push(int id)
    {
        if ((uint)id >= (uint)_pieces.Count)
        {
            throw new InvalidTokenException(id, _pieces.Count);
        }

        Append(id);

        var complete = _pending.Count - IncompleteTailLength();
        return Release(complete);
    }

    /// <summary>Returns the bytes still held back; an unfinished character becomes U+FFFD, as in a full decode.</summary>
    public string Flush() => Release(_pending.Count);

    private void Append(int id)
    {
        var kind = _pieces.KindOf(id);
        var surface = _pieces.SurfaceOf(id);
        if (kind == PieceKind.Byte)
        {
            _pending.AddRange(surface);
            _emitted = true;
            return;
        }

        if (_droppedLeadingSpace || _emitted)
        {
            _atStart = false;
        }

        _droppedLeadingSpace = false;
        if (kind == PieceKind.Normal && _atStart && _pieces.StripsLeadingSpace && surface is [(byte)' ', ..])
        {
            surface = surface[1..];

            // With whitespace collapsing on, SentencePiece drops every leading space, so the chance stays open.
            _droppedLeadingSpace = !_pieces.RemovesExtraWhitespace;
        }

        _pending.AddRange(surface);
        _emitted |= surface.Length > 0;
    }

    /// <summary>
    /// Returns how many bytes at the end of the pending bytes begin a valid UTF-8 sequence that later bytes
    /// could still complete. Anything else decodes now, with invalid bytes as U+FFFD.
    /// </summary>
    private int IncompleteTailLength()
    {
        var bytes = CollectionsMarshal.AsSpan(_pending);
        for (var length = 1; length <= Math.Min(3, bytes.Length); length++)
        {
            var b = bytes[^length];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            var status = Rune.DecodeFromUtf8(bytes[^length..], out _, out _);
            return status == OperationStatus.NeedMoreData ? length : 0;
        }

        return 0;
    }

    private string Release(int count)
    {
        if (count == 0)
        {
            return string.Empty;
        }

        var bytes = CollectionsMarshal.AsSpan(_pending);
        var text = Encoding.UTF8.GetString(bytes[..count]);
        _pending.RemoveRange(0, count);
        return text;
    }
}
