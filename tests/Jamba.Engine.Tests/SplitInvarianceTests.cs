using Jamba.Engine.Sampling;
using Jamba.Engine.State;

namespace Jamba.Engine.Tests;

/// <summary>
/// Prefill split into chunks of any size gives the logits of a single call: the KV cache and the Mamba
/// conv window and SSM state carry across calls exactly as across tokens of one call.
/// </summary>
public class SplitInvarianceTests
{
    private const int DecodeSteps = 8;

    public static TheoryData<string, int[]> Splits => new()
    {
        { "tiny-moe", [] },
        { "tiny-moe", [1, 4, 2] },
        { "tiny-moe", [5] },
        { "tiny-dense-bf16", [] },
        { "tiny-dense-bf16", [1, 4, 2] },
        { "tiny-dense-bf16", [2, 1, 1, 3] },
    };

    /// <summary>
    /// Feeds the golden prefill ids in chunks of the given sizes and then the rest; an empty list
    /// means one token per call.
    /// </summary>
    [Theory]
    [MemberData(nameof(Splits))]
    public void Chunked_prefill_matches_single_call(string name, int[] chunkSizes)
    {
        var dir = Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", name);
        using var golden = Fixtures.OpenGolden(dir);
        using var model = JambaModel.Load(dir);
        var ids = Fixtures.ToInts(golden.ReadInt64s("prefill.ids"));
        var tolerance = Fixtures.Tolerance(dir);

        var whole = model.CreateState();
        var expected = model.Forward(whole, ids, allLogits: true);

        var chunked = model.CreateState();
        var actual = new List<float>();
        foreach (var chunk in Chunks(ids, chunkSizes))
        {
            actual.AddRange(model.Forward(chunked, chunk, allLogits: true));
        }

        GoldenLogitsTests.AssertClose(expected, actual.ToArray(), tolerance, $"{name} prefill in chunks");
        Assert.Equal(whole.Position, chunked.Position);
        Assert.Equal(whole.ByteCount, chunked.ByteCount);

        var vocab = model.Config.VocabSize;
        var lastRow = expected.AsSpan((ids.Length - 1) * vocab, vocab).ToArray();
        Assert.Equal(GreedyDecode(model, whole, lastRow), GreedyDecode(model, chunked, actual.ToArray()[^vocab..]));
    }

    private static IEnumerable<int[]> Chunks(int[] ids, int[] sizes)
    {
        if (sizes.Length == 0)
        {
            return ids.Select(id => new[] { id });
        }

        var chunks = new List<int[]>();
        var start = 0;
        foreach (var size in sizes)
        {
            chunks.Add(ids[start..(start + size)]);
            start += size;
        }

        chunks.Add(ids[start..]);
        return chunks;
    }

    private static int[] GreedyDecode(JambaModel model, SequenceState state, float[] logits)
    {
        var sampler = new Sampler(SamplingOptions.Greedy);
        var tokens = new int[DecodeSteps];
        for (var step = 0; step < DecodeSteps; step++)
        {
            tokens[step] = sampler.Sample(logits);
            logits = model.Forward(state, [tokens[step]]);
        }

        return tokens;
    }
}
