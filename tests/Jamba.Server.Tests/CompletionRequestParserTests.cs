using System.Text;
using Jamba.Server.Api;

namespace Jamba.Server.Tests;

public sealed class CompletionRequestParserTests
{
    private static (CompletionRequest? Request, ApiError? Error) Parse(string json) =>
        CompletionRequestParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void ParsesEveryField()
    {
        var (request, error) = Parse("""
            {"model":"m","prompt":"hi","max_tokens":7,"temperature":0.5,"top_p":0.9,"top_k":40,"seed":-3,
             "stop":["a","b"],"stream":true,"stream_options":{"include_usage":true},"n":1,"echo":false,"logprobs":2,"user":"u"}
            """);

        Assert.Null(error);
        Assert.NotNull(request);
        Assert.Equal("hi", request.Prompt.Text);
        Assert.Equal("m", request.Model);
        Assert.Equal(7, request.MaxTokens);
        Assert.Equal(0.5f, request.Temperature);
        Assert.Equal(0.9f, request.TopP);
        Assert.Equal(40, request.TopK);
        Assert.Equal(unchecked((ulong)-3L), request.Seed);
        Assert.Equal(["a", "b"], request.Stop);
        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
        Assert.Equal(2, request.Logprobs);
    }

    [Fact]
    public void DefaultsFollowOpenAi()
    {
        var (request, _) = Parse("""{"prompt":"hi"}""");

        Assert.NotNull(request);
        Assert.Equal(16, request.MaxTokens);
        Assert.Equal(1f, request.Temperature);
        Assert.Equal(1f, request.TopP);
        Assert.Null(request.Logprobs);
        Assert.Empty(request.Stop);
        Assert.False(request.Stream);
    }

    [Theory]
    [InlineData("""{"prompt":[1,2,3]}""", new[] { 1, 2, 3 })]
    [InlineData("""{"prompt":[[4,5]]}""", new[] { 4, 5 })]
    public void AcceptsTokenIdPrompts(string json, int[] expected)
    {
        var (request, error) = Parse(json);

        Assert.Null(error);
        Assert.Equal(expected, request!.Prompt.TokenIds);
    }

    [Fact]
    public void AcceptsOneStringInArray()
    {
        var (request, _) = Parse("""{"prompt":["text"],"stop":"x"}""");

        Assert.Equal("text", request!.Prompt.Text);
        Assert.Equal(["x"], request.Stop);
    }

    [Fact]
    public void AcceptsIntegralFloatForInteger()
    {
        var (request, _) = Parse("""{"prompt":"x","max_tokens":8.0}""");

        Assert.Equal(8, request!.MaxTokens);
    }

    [Theory]
    [InlineData("{bad", null, "invalid_json")]
    [InlineData("", null, "invalid_json")]
    [InlineData("[1]", null, "invalid_json")]
    [InlineData("""{"max_tokens":3}""", "prompt", "missing_field")]
    [InlineData("""{"prompt":"x","frequency_penalty":0}""", "frequency_penalty", "unknown_field")]
    [InlineData("""{"prompt":"x","stream_options":{"other":1}}""", "stream_options.other", "unknown_field")]
    [InlineData("""{"prompt":5}""", "prompt", "invalid_type")]
    [InlineData("""{"prompt":"x","max_tokens":"9"}""", "max_tokens", "invalid_type")]
    [InlineData("""{"prompt":"x","temperature":"hot"}""", "temperature", "invalid_type")]
    [InlineData("""{"prompt":"x","stream":1}""", "stream", "invalid_type")]
    [InlineData("""{"prompt":"x","stop":[1]}""", "stop", "invalid_type")]
    [InlineData("""{"prompt":"x","seed":"1"}""", "seed", "invalid_type")]
    [InlineData("""{"prompt":"x","max_tokens":-1}""", "max_tokens", "invalid_value")]
    [InlineData("""{"prompt":"x","max_tokens":0}""", "max_tokens", "invalid_value")]
    [InlineData("""{"prompt":"x","max_tokens":1.5}""", "max_tokens", "invalid_value")]
    [InlineData("""{"prompt":"x","temperature":-0.1}""", "temperature", "invalid_value")]
    [InlineData("""{"prompt":"x","temperature":1e999}""", "temperature", "invalid_value")]
    [InlineData("""{"prompt":"x","top_p":0}""", "top_p", "invalid_value")]
    [InlineData("""{"prompt":"x","top_p":1.01}""", "top_p", "invalid_value")]
    [InlineData("""{"prompt":"x","top_k":-2}""", "top_k", "invalid_value")]
    [InlineData("""{"prompt":"x","n":2}""", "n", "invalid_value")]
    [InlineData("""{"prompt":"x","logprobs":6}""", "logprobs", "invalid_value")]
    [InlineData("""{"prompt":"x","logprobs":-1}""", "logprobs", "invalid_value")]
    [InlineData("""{"prompt":"x","echo":true,"logprobs":1}""", "echo", "invalid_value")]
    [InlineData("""{"prompt":"x","stop":["a","b","c","d","e"]}""", "stop", "invalid_value")]
    [InlineData("""{"prompt":"x","stop":[""]}""", "stop", "invalid_value")]
    [InlineData("""{"prompt":[]}""", "prompt", "invalid_value")]
    [InlineData("""{"prompt":["a","b"]}""", "prompt", "invalid_value")]
    [InlineData("""{"prompt":[1,2.5]}""", "prompt", "invalid_value")]
    public void RejectsInvalidBody(string json, string? param, string code)
    {
        var (request, error) = Parse(json);

        Assert.Null(request);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal(param, error.Param);
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void UnknownFieldMessageNamesField()
    {
        var (_, error) = Parse("""{"prompt":"x","best_of":3}""");

        Assert.Equal("Unrecognized request argument supplied: best_of", error!.Message);
    }

    [Fact]
    public void MalformedJsonMessageGivesPosition()
    {
        var (_, error) = Parse("{\"prompt\": }");

        Assert.StartsWith("The request body is not valid JSON at line 1, byte 12", error!.Message);
        Assert.DoesNotContain("LineNumber", error.Message);
    }
}
