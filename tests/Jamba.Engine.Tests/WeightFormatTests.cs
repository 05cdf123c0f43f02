using Jamba.Kernels;

namespace Jamba.Engine.Tests;

public class WeightFormatTests
{
    // Int8 weights get a tolerance of their own, relative to the largest golden logit: blocks of 32 with
    // one scale each keep every weight within max |w| / 254 of its value, and on these random-weight
    // fixtures that error, spread over every layer, moved the largest logit difference to 2.0% (tiny-moe)
    // and 1.4% (tiny-dense-bf16) of the largest |logit|. The KJV tests below are the quality bar.
    private const float Int8RelativeTolerance = 0.03f;

    // Rounding F32 weights to BF16 keeps 8 bits of mantissa, a relative error of at most 2^-9 per
    // weight. On tiny-moe that moved the largest logit difference to 0.8% of the largest |logit|.
    private const float Bf16RelativeTolerance = 0.015f;

    [Fact]
    public void F32_copy_of_bf16_checkpoint_matches_golden()
    {
        using var golden = Fixtures.OpenGolden(Fixtures.TinyDenseBf16);
        using var model = JambaModel.Load(Fixtures.TinyDenseBf16, backend: new CpuBackend(WeightFormat.F32));
        var ids = Fixtures.ToInts(golden.ReadInt64s("prefill.ids"));

        var logits = model.Forward(model.CreateState(), ids, allLogits: true);

        GoldenLogitsTests.AssertClose(golden.ReadSingles("prefill.logits"), logits, Fixtures.Tolerance(Fixtures.TinyDenseBf16), "F32 prefill");
    }

    [Fact]
    public void Bf16_copy_of_f32_checkpoint_within_bf16_tolerance()
    {
        using var golden = Fixtures.OpenGolden(Fixtures.TinyMoe);
        using var model = JambaModel.Load(Fixtures.TinyMoe, backend: new CpuBackend(WeightFormat.BF16));
        var ids = Fixtures.ToInts(golden.ReadInt64s("prefill.ids"));

        var logits = model.Forward(model.CreateState(), ids, allLogits: true);

        var expected = golden.ReadSingles("prefill.logits");
        GoldenLogitsTests.AssertClose(expected, logits, Bf16RelativeTolerance * expected.Max(MathF.Abs), "BF16 prefill");
    }

    [Theory]
    [InlineData("tiny-moe")]
    [InlineData("tiny-dense-bf16")]
    public void Int8_prefill_within_int8_tolerance(string name)
    {
        var directory = Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", name);
        using var golden = Fixtures.OpenGolden(directory);
        using var model = JambaModel.Load(directory, backend: new CpuBackend(WeightFormat.Int8));
        var ids = Fixtures.ToInts(golden.ReadInt64s("prefill.ids"));

        var logits = model.Forward(model.CreateState(), ids, allLogits: true);

        var expected = golden.ReadSingles("prefill.logits");
        var tolerance = Int8RelativeTolerance * expected.Max(MathF.Abs);
        GoldenLogitsTests.AssertClose(expected, logits, tolerance, "int8 prefill");
    }

    [Fact]
    public void Int8_greedy_matches_bf16_on_kjv_golden_prompts()
    {
        using var bf16 = JambaModel.Load(Fixtures.Kjv);
        using var int8 = JambaModel.Load(Fixtures.Kjv, backend: new CpuBackend(WeightFormat.Int8));

        foreach (var golden in KjvGolden.Load().Cases)
        {
            Assert.Equal(Greedy(bf16, golden.PromptIds, golden.MaxNewTokens), Greedy(int8, golden.PromptIds, golden.MaxNewTokens));
        }
    }

    [Fact]
    public void Int8_top1_agrees_with_bf16_over_512_tokens()
    {
        using var bf16 = JambaModel.Load(Fixtures.Kjv);
        using var int8 = JambaModel.Load(Fixtures.Kjv, backend: new CpuBackend(WeightFormat.Int8));
        var text = File.ReadAllText(Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", "kjv-genesis-1.txt"));
        var ids = Tokenization.JambaTokenizer.Load(Fixtures.Kjv).Encode(text).Take(512).ToArray();
        Assert.Equal(512, ids.Length);
        var vocab = bf16.Config.VocabSize;

        var expected = bf16.Forward(bf16.CreateState(), ids, allLogits: true);
        var actual = int8.Forward(int8.CreateState(), ids, allLogits: true);

        var agreeing = Enumerable.Range(0, ids.Length).Count(t =>
            System.Numerics.Tensors.TensorPrimitives.IndexOfMax(expected.AsSpan(t * vocab, vocab))
            == System.Numerics.Tensors.TensorPrimitives.IndexOfMax(actual.AsSpan(t * vocab, vocab)));
        Assert.True(agreeing >= 0.99 * ids.Length, $"top-1 agreement {agreeing} of {ids.Length}");
    }

    private static List<int> Greedy(JambaModel model, int[] prompt, int maxNewTokens)
    {
        var state = model.CreateState();
        var logits = model.Forward(state, prompt);
        var generated = new List<int>();
        for (var step = 0; step < maxNewTokens; step++)
        {
            var next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            generated.Add(next);
            if (next == model.Config.EosTokenId)
            {
                break;
            }

            logits = model.Forward(state, [next]);
        }

        return generated;
    }
}
