using System.Globalization;
using System.Text;

namespace Jamba.Engine.Tokenization;

internal enum PieceKind
{
    Normal,

    /// <summary>A byte-fallback piece such as &lt;0xE2&gt;, standing for one raw UTF-8 byte.</summary>
    Byte,

    /// <summary>BOS, EOS, pad and other pieces that decode to nothing.</summary>
    Control,

    Unknown,
}

/// <summary>
/// The decoded surface of every SentencePiece piece as UTF-8 bytes, with U+2581 (▁) already turned back
/// into a space, so that decoding is a byte copy per token.
/// </summary>
internal sealed class PieceTable
{
    private const char SpaceSymbol = '\u2581';

    // SentencePiece's decoder writes " ⁇ " in place of the unknown piece, which keeps the gap visible in text.
    private static readonly byte[] UnknownSurface = Encoding.UTF8.GetBytes(" \u2047 ");

    private readonly byte[][] _surfaces;
    private readonly PieceKind[] _kinds;

    public PieceTable(IReadOnlyDictionary<string, int> vocabulary, bool byteFallback, int? unknownId,
        IEnumerable<int> controlIds, bool stripsLeadingSpace, bool removesExtraWhitespace)
    {
        var count = vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1;
        _surfaces = new byte[count][];
        _kinds = new PieceKind[count];
        Array.Fill(_surfaces, []);

        // The encoder never produces an id without a piece, so such an id decodes to nothing, like a control piece.
        Array.Fill(_kinds, PieceKind.Control);

        foreach (var (piece, id) in vocabulary)
        {
            if (byteFallback && TryParseByte(piece, out var value))
            {
                _kinds[id] = PieceKind.Byte;
                _surfaces[id] = [value];
            }
            else
            {
                _kinds[id] = PieceKind.Normal;
                _surfaces[id] = Encoding.UTF8.GetBytes(piece.Replace(SpaceSymbol, ' '));
            }
        }

        foreach (var id in controlIds)
        {
            _kinds[id] = PieceKind.Control;
            _surfaces[id] = [];
        }

        if (unknownId is { } unknown)
        {
            _kinds[unknown] = PieceKind.Unknown;
            _surfaces[unknown] = UnknownSurface;
        }

        StripsLeadingSpace = stripsLeadingSpace;
        RemovesExtraWhitespace = removesExtraWhitespace;
    }

    public int Count => _kinds.Length;

    /// <summary>Whether decoding drops the space that encoding's dummy prefix put before the first word.</summary>
    public bool StripsLeadingSpace { get; }

    /// <summary>Whether the normalizer collapsed whitespace, so decoding drops every leading space, not just one.</summary>
    public bool RemovesExtraWhitespace { get; }

    public PieceKind KindOf(int id) => _kinds[id];

    public ReadOnlySpan<byte> SurfaceOf(int id) => _surfaces[id];

    private static bool TryParseByte(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6
            && piece.StartsWith("<0x", StringComparison.Ordinal)
            && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
