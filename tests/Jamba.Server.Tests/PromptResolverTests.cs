using Jamba.Server.Api;
using Jamba.Server.Cluster;
using Jamba.Server.Configuration;
using Jamba.Server.Generation;

namespace Jamba.Server.Tests;

public sealed class PromptResolverTests
{
    private static readonly ServedModel Model = ServedModel.Load(new ServerOptions { ModelDirectory = ServerProcess.KjvModel, MaxContextTokens = 64 });

    [Fact]
    public void TextPromptStartsWithBos()
    {
        var (ids, error) = PromptResolver.Resolve(Prompt.FromText("In the beginning"), 4, Model, historyTokens: 0);

        Assert.Null(error);
        Assert.Equal(Model.Tokenizer.Encode("In the beginning"), ids);
        Assert.Equal(Model.Tokenizer.BosId, ids![0]);
    }

    [Fact]
    public void ContinuationDropsBos()
    {
        var (ids, _) = PromptResolver.Resolve(Prompt.FromText(" And God said"), 4, Model, historyTokens: 10);

        Assert.Equal(Model.Tokenizer.Encode(" And God said")[1..], ids);
    }

    [Fact]
    public void TokenIdsPassUnchanged()
    {
        var (ids, _) = PromptResolver.Resolve(Prompt.FromTokenIds([1, 2047, 0]), 4, Model, historyTokens: 0);

        Assert.Equal(new[] { 1, 2047, 0 }, ids);
    }

    [Theory]
    [InlineData(2048, 0)]
    [InlineData(-1, 0)]
    public void RejectsIdOutsideVocabulary(int id, int history)
    {
        var (ids, error) = PromptResolver.Resolve(Prompt.FromTokenIds([1, id]), 4, Model, history);

        Assert.Null(ids);
        Assert.Equal("invalid_token", error!.Code);
        Assert.Contains($"token id {id} at index 1", error.Message);
    }

    [Fact]
    public void RejectsPromptLongerThanContext()
    {
        var (_, error) = PromptResolver.Resolve(Prompt.FromTokenIds(new int[65]), 1, Model, historyTokens: 0);

        Assert.Equal("context_length_exceeded", error!.Code);
        Assert.Equal("prompt", error.Param);
    }

    [Fact]
    public void CountsSessionHistoryInContext()
    {
        var (_, error) = PromptResolver.Resolve(Prompt.FromTokenIds(new int[10]), 1, Model, historyTokens: 60);

        Assert.Equal("context_length_exceeded", error!.Code);
        Assert.Contains("60 in the session", error.Message);
    }

    [Fact]
    public void RejectsCompletionPastContext()
    {
        var (ok, _) = PromptResolver.Resolve(Prompt.FromTokenIds(new int[32]), 32, Model, historyTokens: 0);
        var (_, error) = PromptResolver.Resolve(Prompt.FromTokenIds(new int[32]), 33, Model, historyTokens: 0);

        Assert.NotNull(ok);
        Assert.Equal("context_length_exceeded", error!.Code);
        Assert.Equal("max_tokens", error.Param);
    }

    [Fact]
    public void RejectsEmptyContinuation()
    {
        var (_, error) = PromptResolver.Resolve(Prompt.FromText(""), 4, Model, historyTokens: 5);

        Assert.Equal("prompt", error!.Param);
    }
}
