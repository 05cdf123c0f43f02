using Jamba.Engine.Layers;

namespace Jamba.Engine.Tests;

public class GoldenLogitsTests
{
    public static TheoryData<string> Checkpoints => new() { "tiny-moe", "tiny-dense-bf16" };

    private static string PathOf(string name) => Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", name);

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public void Prefill_matches_golden(string name)
    {
        var dir = PathOf(name);
        using var golden = Fixtures.OpenGolden(dir);
        using var model = JambaModel.Load(dir);
        var ids = Fixtures.ToInts(golden.ReadInt64s("prefill.ids"));

        var logits = model.Forward(model.CreateState(), ids, allLogits: true);

        AssertClose(golden.ReadSingles("prefill.logits"), logits, Fixtures.Tolerance(dir), "prefill");
    }

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public void Decode_steps_match_golden(string name)
    {
        var dir = PathOf(name);
        using var golden = Fixtures.OpenGolden(dir);
        using var model = JambaModel.Load(dir);
        var vocab = model.Config.VocabSize;
        var state = model.CreateState();
        model.Forward(state, Fixtures.ToInts(golden.ReadInt64s("prefill.ids")));
        var decodeIds = Fixtures.ToInts(golden.ReadInt64s("decode.ids"));
        var expected = golden.ReadSingles("decode.logits");

        for (var step = 0; step < decodeIds.Length; step++)
        {
            var logits = model.Forward(state, [decodeIds[step]]);
            AssertClose(expected.AsSpan(step * vocab, vocab).ToArray(), logits, Fixtures.Tolerance(dir), $"decode step {step}");
        }
    }

    [Fact]
    public void Routing_matches_golden()
    {
        using var golden = Fixtures.OpenGolden(Fixtures.TinyMoe);
        using var model = JambaModel.Load(Fixtures.TinyMoe);
        var trace = new RoutingTrace();

        model.Forward(model.CreateState(), Fixtures.ToInts(golden.ReadInt64s("prefill.ids")), trace: trace);

        foreach (var layer in new[] { 1, 3, 5, 7 })
        {
            var routing = trace.Layers[layer];
            var experts = Fixtures.ToInts(golden.ReadInt64s($"routing.layer{layer}.experts"));
            Assert.Equal(experts, routing.Experts);
            AssertClose(golden.ReadSingles($"routing.layer{layer}.weights"), routing.Weights, 1e-4f, $"layer {layer} weights");
        }
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        var worstIndex = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = MathF.Abs(expected[i] - actual[i]);
            if (!(difference <= worst))
            {
                worst = difference;
                worstIndex = i;
            }
        }

        Assert.True(worst <= tolerance,
            $"{what}: largest difference {worst} at index {worstIndex} (expected {expected[worstIndex]}, got {actual[worstIndex]}) exceeds {tolerance}");
    }
}
