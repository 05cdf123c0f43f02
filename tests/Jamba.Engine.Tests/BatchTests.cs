using Jamba.Engine.Layers;

namespace Jamba.Engine.Tests;

public class BatchTests
{
    public static TheoryData<string> Models => new() { Fixtures.TinyMoe, Fixtures.TinyDenseBf16, Fixtures.Kjv };

    [Theory]
    [MemberData(nameof(Models))]
    public void Batched_sequences_match_each_alone(string directory)
    {
        using var model = JambaModel.Load(directory);
        var vocab = model.Config.VocabSize;
        int[][] prompts = [[1, 5, 9, 13, 2, 7], [1, 40], [1, 3, 3, 3, 8, 11, 19, 21, 4], [1]];

        var alone = prompts.Select(prompt => (State: model.CreateState(), Prompt: prompt)).ToArray();
        var aloneLogits = alone.Select(item => model.Forward(item.State, item.Prompt)).ToArray();
        var batchStates = prompts.Select(_ => model.CreateState()).ToArray();
        var batchLogits = model.ForwardBatch(batchStates, prompts);

        for (var s = 0; s < prompts.Length; s++)
        {
            Assert.Equal(aloneLogits[s], batchLogits.AsSpan(s * vocab, vocab).ToArray());
        }

        // A decode step for all sequences at once, each with one new token.
        int[][] next = [[17], [23], [29], [31]];
        var stepLogits = model.ForwardBatch(batchStates, next);
        for (var s = 0; s < prompts.Length; s++)
        {
            var expected = model.Forward(alone[s].State, next[s]);
            Assert.Equal(expected, stepLogits.AsSpan(s * vocab, vocab).ToArray());
            Assert.Equal(alone[s].State.Position, batchStates[s].Position);
        }
    }

    [Fact]
    public void Long_prompt_matches_token_by_token()
    {
        // 300 tokens in one call spread attention heads over cores; one token a call does not.
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var ids = Enumerable.Range(0, 300).Select(i => 1 + i * 37 % 250).ToArray();

        var whole = model.Forward(model.CreateState(), ids);
        var state = model.CreateState();
        float[] stepwise = [];
        foreach (var id in ids)
        {
            stepwise = model.Forward(state, [id]);
        }

        GoldenLogitsTests.AssertClose(stepwise, whole, Fixtures.Tolerance(Fixtures.TinyMoe), "last logits");
    }

    [Fact]
    public void Mismatched_state_rejected_before_any_change()
    {
        using var moe = JambaModel.Load(Fixtures.TinyMoe);
        using var dense = JambaModel.Load(Fixtures.TinyDenseBf16);
        var foreign = dense.CreateState();
        dense.Forward(foreign, [1, 2, 3]);
        var before = foreign.Serialize();

        var error = Assert.Throws<ArgumentException>(() => moe.Forward(foreign, [1, 2]));

        Assert.Contains("layer", error.Message);
        Assert.Equal(before, foreign.Serialize());
    }

    [Fact]
    public void Segments_pack_consecutively()
    {
        var segments = Segment.Pack([3, 1, 4]);

        Assert.Equal([new Segment(0, 3), new Segment(3, 1), new Segment(4, 4)], segments);
        Assert.Equal(8, Segment.TotalRows(segments));
    }
}
