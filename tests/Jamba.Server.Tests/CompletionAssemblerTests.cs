using Jamba.Actors;
using Jamba.Server.Api;
using Jamba.Server.Cluster;
using Jamba.Server.Configuration;
using Jamba.Server.Generation;

namespace Jamba.Server.Tests;

/// <summary>Text assembly over the real tokenizer; the token events are chosen ids, not model output.</summary>
public sealed class CompletionAssemblerTests
{
    private static readonly ServedModel Model = ServedModel.Load(new ServerOptions { ModelDirectory = ServerProcess.KjvModel });

    private static readonly int[] Prompt = Model.Tokenizer.Encode("In the beginning");

    private static readonly int[] Continuation = Model.Tokenizer.Encode("In the beginning God created the heaven and the earth")[Prompt.Length..];

    private static CompletionAssembler Assembler(IReadOnlyList<string>? stop = null, int? logprobs = null) =>
        new(Model, new CompletionRequest { Prompt = Api.Prompt.FromTokenIds(Prompt), Stop = stop ?? [], Logprobs = logprobs }, Prompt, "");

    private static TokenEvent Token(int id, string? finishReason = null, params TokenLogprob[] top) =>
        new(id, -0.5f, top, PromptTokensComputed: Prompt.Length, finishReason);

    [Fact]
    public void TextMatchesFullDecode()
    {
        var assembler = Assembler();

        var text = string.Concat(Continuation.Select((id, i) => assembler.Append(Token(id, i == Continuation.Length - 1 ? "length" : null))));

        Assert.Equal(" God created the heaven and the earth", text);
        Assert.Equal("length", assembler.FinishReason);
        Assert.Equal(Continuation, assembler.TokenIds);
        Assert.Equal(Prompt.Length, assembler.PromptTokensComputed);
    }

    [Fact]
    public void StopStringCutsTextAndFinishes()
    {
        var assembler = Assembler(stop: ["heaven"]);
        var text = "";
        foreach (var id in Continuation)
        {
            text += assembler.Append(Token(id));
            if (assembler.FinishReason is not null)
            {
                break;
            }
        }

        Assert.Equal(" God created the ", text);
        Assert.Equal("stop", assembler.FinishReason);
        Assert.True(assembler.StoppedByString);
    }

    [Fact]
    public void EosAddsNoText()
    {
        var assembler = Assembler();

        var text = assembler.Append(Token(Continuation[0])) + assembler.Append(Token(Model.Tokenizer.EosId!.Value, "stop"));

        Assert.Equal(" God", text);
        Assert.Equal("stop", assembler.FinishReason);
        Assert.False(assembler.StoppedByString);
    }

    [Fact]
    public void LogprobsFollowText()
    {
        var assembler = Assembler(logprobs: 2);
        var alternatives = new[] { new TokenLogprob(Continuation[0], -0.5f), new TokenLogprob(Continuation[1], -1.5f) };

        var text = assembler.Append(Token(Continuation[0], null, alternatives));
        text += assembler.Append(Token(Continuation[1], "length", alternatives));
        var logprobs = assembler.Logprobs()!;

        Assert.Equal(2, logprobs.Tokens.Count);
        Assert.Equal(" God", logprobs.Tokens[0]);
        Assert.Equal(text, string.Concat(logprobs.Tokens));
        Assert.Equal([0, 4], logprobs.TextOffset);
        Assert.Equal([-0.5f, -0.5f], logprobs.TokenLogprobs);
        Assert.Equal(-0.5f, logprobs.TopLogprobs[0][" God"]);
        Assert.Equal(-1.5f, logprobs.TopLogprobs[0][logprobs.Tokens[1]]);
        Assert.Single(assembler.Logprobs(first: 1)!.Tokens);
    }

    [Fact]
    public void NoLogprobsUnlessRequested()
    {
        var assembler = Assembler();
        assembler.Append(Token(Continuation[0]));

        Assert.Null(assembler.Logprobs());
    }
}
