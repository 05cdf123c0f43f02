using Jamba.Engine.Tokenization;

namespace Jamba.Engine.Tests;

public class StreamingDecoderTests
{
    private static readonly JambaTokenizer Tokenizer = JambaTokenizer.Load(Fixtures.Kjv);

    public static TheoryData<string> MultiByteTexts => new()
    {
        "naïve café über",
        "中文 text",
        "emoji 🙂 and 👍🏽",
        "Ἐν ἀρχῇ ἦν ὁ λόγος",
        "€100 — 😀😀 日本語",
        " leading space",
    };

    [Theory]
    [MemberData(nameof(MultiByteTexts))]
    public void Deltas_concatenate_to_decode(string text)
    {
        var ids = Tokenizer.Encode(text);
        var decoder = Tokenizer.CreateStreamingDecoder();

        var deltas = ids.Select(decoder.Push).Append(decoder.Flush()).ToList();

        Assert.All(deltas, delta => Assert.DoesNotContain('\uFFFD', delta));
        Assert.Equal(Tokenizer.Decode(ids), string.Concat(deltas));
        Assert.Equal(text, string.Concat(deltas));
    }

    [Fact]
    public void Partial_character_is_held()
    {
        // "€" is E2 82 AC in UTF-8. The KJV vocabulary has no piece for it, so it arrives as three byte pieces.
        var ids = Tokenizer.Encode("€");
        var bytePieces = ids[^3..];
        Assert.Equal([ByteId(0xE2), ByteId(0x82), ByteId(0xAC)], bytePieces);
        var decoder = Tokenizer.CreateStreamingDecoder();
        foreach (var id in ids.SkipLast(3))
        {
            decoder.Push(id);
        }

        Assert.Equal("", decoder.Push(bytePieces[0]));
        Assert.Equal("", decoder.Push(bytePieces[1]));
        Assert.Equal("€", decoder.Push(bytePieces[2]));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Flush_releases_partial_character()
    {
        var decoder = Tokenizer.CreateStreamingDecoder();

        Assert.Equal("", decoder.Push(ByteId(0xF0)));
        Assert.Equal("", decoder.Push(ByteId(0x9F)));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Invalid_bytes_are_released_at_once()
    {
        var decoder = Tokenizer.CreateStreamingDecoder();

        // A lone continuation byte can never become valid, so holding it back would only delay the U+FFFD.
        Assert.Equal("\uFFFD", decoder.Push(ByteId(0x82)));
    }

    [Fact]
    public void Broken_sequence_matches_decode()
    {
        int[] ids = [ByteId(0xE2), ByteId(0x82), Tokenizer.Encode("LORD")[^1], ByteId(0xC3)];
        var decoder = Tokenizer.CreateStreamingDecoder();

        var streamed = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();

        Assert.Equal(Tokenizer.Decode(ids), streamed);
        // Bytes came out first, so the space of "▁LORD" is no longer the dummy prefix and stays.
        Assert.Equal("\uFFFD LORD\uFFFD", streamed);
    }

    // The KJV vocabulary starts with pad, BOS, EOS and unk, then <0x00> through <0xFF>.
    private static int ByteId(byte value) => 4 + value;
}
