using Jamba.Engine.Generation;
using Jamba.Engine.Sampling;

namespace Jamba.Engine.Tests;

public class GeneratorTests(KjvModel kjv) : IClassFixture<KjvModel>
{
    private const string MosesPrompt = "And the LORD said unto Moses,";
    private const string MosesContinuation = "See, I have not been a man of God, and the LORD hath given me to the LORD.";

    public static TheoryData<int> GoldenCases => new(Enumerable.Range(0, KjvGolden.Load().Cases.Count));

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Greedy_matches_golden(int index)
    {
        var golden = KjvGolden.Load().Cases[index];
        Assert.Equal(golden.PromptIds, kjv.Tokenizer.Encode(golden.Prompt));
        var state = kjv.Model.CreateState();

        var steps = kjv.Generator.Generate(state, golden.PromptIds, new GenerationOptions { MaxNewTokens = golden.MaxNewTokens }).ToList();

        var last = steps[^1];
        Assert.All(steps.SkipLast(1), step => Assert.Null(step.FinishReason));
        if (golden.StopsAtEos)
        {
            Assert.Equal(kjv.Tokenizer.EosId, last.TokenId);
            Assert.Equal(GenerationStep.Stop, last.FinishReason);
            Assert.True(steps.Count <= golden.MaxNewTokens);
        }
        else
        {
            Assert.Equal(GenerationStep.Length, last.FinishReason);
            Assert.Equal(golden.MaxNewTokens, steps.Count);
        }

        var generated = golden.StopsAtEos ? steps.SkipLast(1) : steps;
        Assert.Equal(golden.GreedyIds, generated.Select(step => step.TokenId));
        Assert.Equal(golden.GreedyText, string.Concat(steps.Select(step => step.Text)));
        Assert.Equal(golden.GreedyText, kjv.Tokenizer.Decode(golden.GreedyIds));
        Assert.Equal(golden.PromptIds.Length + steps.Count - 1, state.Position);
    }

    [Fact]
    public void Same_seed_same_tokens()
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = 24,
            StopAtEos = false,
            Sampling = new SamplingOptions { Temperature = 1.2f, Seed = 1234 },
        };

        var first = kjv.Generate(MosesPrompt, options).Select(step => step.TokenId);
        var second = kjv.Generate(MosesPrompt, options).Select(step => step.TokenId);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Sampling_differs_from_greedy()
    {
        // This guards the two tests below. At this temperature the sampler leaves the greedy path, so their
        // match with greedy comes from the cut-off and not from a peaked distribution.
        var greedy = GreedyIds(MosesPrompt);
        var options = new GenerationOptions { MaxNewTokens = 24, Sampling = new SamplingOptions { Temperature = 1.5f, Seed = 7 } };

        var sampled = kjv.Generate(MosesPrompt, options).Select(step => step.TokenId);

        Assert.NotEqual(greedy, sampled);
    }

    [Fact]
    public void Top_k_one_equals_greedy()
    {
        var options = new GenerationOptions { MaxNewTokens = 24, Sampling = new SamplingOptions { Temperature = 1.5f, TopK = 1, Seed = 7 } };

        var sampled = kjv.Generate(MosesPrompt, options).Select(step => step.TokenId);

        Assert.Equal(GreedyIds(MosesPrompt), sampled);
    }

    [Fact]
    public void Tiny_top_p_equals_greedy()
    {
        var options = new GenerationOptions { MaxNewTokens = 24, Sampling = new SamplingOptions { Temperature = 1.5f, TopP = 1e-6f, Seed = 7 } };

        var sampled = kjv.Generate(MosesPrompt, options).Select(step => step.TokenId);

        Assert.Equal(GreedyIds(MosesPrompt), sampled);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Invalid_temperature_rejected(float temperature)
    {
        var options = new GenerationOptions { Sampling = new SamplingOptions { Temperature = temperature } };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => kjv.Generator.Generate(kjv.Model.CreateState(), [1], options));

        Assert.Contains("temperature", error.Message);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void Invalid_top_p_rejected(float topP)
    {
        var options = new GenerationOptions { Sampling = new SamplingOptions { Temperature = 1, TopP = topP } };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => kjv.Generator.Generate(kjv.Model.CreateState(), [1], options));

        Assert.Contains("top_p", error.Message);
    }

    [Fact]
    public void Negative_max_new_tokens_rejected()
    {
        var options = new GenerationOptions { MaxNewTokens = -1 };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => kjv.Generator.Generate(kjv.Model.CreateState(), [1], options));

        Assert.Contains("max_new_tokens", error.Message);
    }

    [Fact]
    public void Empty_stop_string_rejected()
    {
        var options = new GenerationOptions { StopStrings = ["LORD", ""] };

        var error = Assert.Throws<ArgumentException>(() => kjv.Generator.Generate(kjv.Model.CreateState(), [1], options));

        Assert.Contains("stop string 1 is empty", error.Message);
    }

    [Fact]
    public void Empty_prompt_rejected()
    {
        Assert.Throws<ArgumentException>(() => kjv.Generator.Generate(kjv.Model.CreateState(), [], new GenerationOptions()));
    }

    [Fact]
    public void Prompt_token_outside_vocabulary_rejected()
    {
        var state = kjv.Model.CreateState();

        Assert.Throws<InvalidTokenException>(() => kjv.Generator.Generate(state, [1, 5000], new GenerationOptions()));
        Assert.Equal(0, state.Position);
    }

    [Fact]
    public void Zero_max_new_tokens_only_prefills()
    {
        var state = kjv.Model.CreateState();
        var prompt = kjv.Tokenizer.Encode(MosesPrompt);

        var steps = kjv.Generator.Generate(state, prompt, new GenerationOptions { MaxNewTokens = 0 }).ToList();

        Assert.Empty(steps);
        Assert.Equal(prompt.Length, state.Position);
    }

    [Fact]
    public void Stop_string_is_cut()
    {
        var options = new GenerationOptions { StopStrings = ["God"] };

        var steps = kjv.Generate(MosesPrompt, options);

        Assert.Equal("See, I have not been a man of ", string.Concat(steps.Select(step => step.Text)));
        Assert.Equal(GenerationStep.Stop, steps[^1].FinishReason);
        Assert.Equal(kjv.Tokenizer.Encode("God")[^1], steps[^1].TokenId);
    }

    [Fact]
    public void Stop_string_split_across_tokens()
    {
        const string stop = "LORD hath";
        var unconstrained = kjv.Generate(MosesPrompt, new GenerationOptions());
        Assert.Equal(MosesContinuation, string.Concat(unconstrained.Select(step => step.Text)));
        Assert.DoesNotContain(unconstrained, step => step.Text.Contains(stop, StringComparison.Ordinal));

        var steps = kjv.Generate(MosesPrompt, new GenerationOptions { StopStrings = ["never appears", stop] });

        Assert.Equal("See, I have not been a man of God, and the ", string.Concat(steps.Select(step => step.Text)));
        Assert.Equal(GenerationStep.Stop, steps[^1].FinishReason);
    }

    [Fact]
    public void Partial_stop_match_is_released()
    {
        var steps = kjv.Generate(MosesPrompt, new GenerationOptions { StopStrings = ["LORD hath taken"] });

        var firstLord = steps.FindIndex(step => step.TokenId == kjv.Tokenizer.Encode("LORD")[^1]);
        Assert.Equal(" ", steps[firstLord].Text);
        Assert.Equal(MosesContinuation, string.Concat(steps.Select(step => step.Text)));
        Assert.Equal(kjv.Tokenizer.EosId, steps[^1].TokenId);
    }

    [Fact]
    public void Held_text_released_at_length()
    {
        // The limit falls right after "LORD", which is still held as a possible start of the stop string.
        var steps = kjv.Generate(MosesPrompt, new GenerationOptions { MaxNewTokens = 15, StopStrings = ["LORD hath taken"] });

        Assert.Equal("See, I have not been a man of God, and the LORD", string.Concat(steps.Select(step => step.Text)));
        Assert.Equal(GenerationStep.Length, steps[^1].FinishReason);
    }

    [Fact]
    public void Cancellation_stops_generation()
    {
        using var cancellation = new CancellationTokenSource();
        var steps = kjv.Generator.Generate(kjv.Model.CreateState(), kjv.Tokenizer.Encode(MosesPrompt),
            new GenerationOptions { MaxNewTokens = 40 }, cancellation.Token);
        var seen = 0;

        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (var _ in steps)
            {
                if (++seen == 3)
                {
                    cancellation.Cancel();
                }
            }
        });
        Assert.Equal(3, seen);
    }

    private int[] GreedyIds(string prompt) =>
        kjv.Generate(prompt, new GenerationOptions { MaxNewTokens = 24 }).Select(step => step.TokenId).ToArray();
}
