using Jamba.Actors;
using Jamba.Engine.Tokenization;
using Jamba.Server.Api;
using Jamba.Server.Cluster;

namespace Jamba.Server.Generation;

/// <summary>
/// Builds one completion from the cluster's token events: decodes them as a stream, cuts the text at the
/// first stop string and collects token ids and log-probabilities. One instance per request.
/// </summary>
public sealed class CompletionAssembler
{
    private readonly ServedModel _model;
    private readonly StreamingDecoder _decoder;
    private readonly StreamingDecoder _alternativeDecoder;
    private readonly StopStringMatcher _matcher;
    private readonly bool _withLogprobs;

    private readonly List<int> _tokenIds = [];
    private readonly List<string> _tokens = [];
    private readonly List<float> _tokenLogprobs = [];
    private readonly List<IReadOnlyDictionary<string, float>> _topLogprobs = [];
    private readonly List<int> _textOffsets = [];
    private int _decodedLength;

    public CompletionAssembler(ServedModel model, CompletionRequest request, int[] promptIds, string echoText)
    {
        _model = model;
        _matcher = new StopStringMatcher(request.Stop);
        _withLogprobs = request.Logprobs is not null;
        _decodedLength = echoText.Length;

        _decoder = DecoderAfter(promptIds);
        _alternativeDecoder = DecoderAfter(promptIds);
    }

    public IReadOnlyList<int> TokenIds => _tokenIds;

    /// <summary>"stop" (EOS or a stop string) or "length" once the completion has ended; null before.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>True when a stop string ended the completion, so the caller must cancel the cluster's generation.</summary>
    public bool StoppedByString => _matcher.Stopped;

    public int PromptTokensComputed { get; private set; }

    /// <summary>Adds one generated token and returns the text it lets the client see now.</summary>
    public string Append(TokenEvent token)
    {
        if (FinishReason is not null)
        {
            throw new InvalidOperationException("the completion has already finished");
        }

        if (_tokenIds.Count == 0)
        {
            PromptTokensComputed = token.PromptTokensComputed;
        }

        _tokenIds.Add(token.TokenId);
        var piece = token.TokenId == _model.Tokenizer.EosId ? "" : _decoder.Push(token.TokenId);
        if (token.FinishReason is not null)
        {
            piece += _decoder.Flush();
        }

        if (_withLogprobs)
        {
            AddLogprobs(token, piece);
        }

        _decodedLength += piece.Length;

        var text = _matcher.Push(piece);
        if (_matcher.Stopped)
        {
            FinishReason = "stop";
        }
        else if (token.FinishReason is not null)
        {
            FinishReason = token.FinishReason;
            text += _matcher.Flush();
        }

        return text;
    }

    /// <summary>Ends a completion whose event stream closed without a finish reason; returns the text still held back.</summary>
    public string Finish(string finishReason)
    {
        var text = _matcher.Stopped ? "" : _matcher.Push(_decoder.Flush());
        if (!_matcher.Stopped)
        {
            text += _matcher.Flush();
        }

        FinishReason = _matcher.Stopped ? "stop" : FinishReason ?? finishReason;
        return text;
    }

    /// <summary>Returns the log-probabilities of tokens from index <paramref name="first"/> on, or null when the request did not ask for them.</summary>
    public CompletionLogprobs? Logprobs(int first = 0)
    {
        if (!_withLogprobs)
        {
            return null;
        }

        var count = _tokens.Count - first;
        return new CompletionLogprobs(
            _tokens.GetRange(first, count),
            _tokenLogprobs.GetRange(first, count),
            _topLogprobs.GetRange(first, count),
            _textOffsets.GetRange(first, count));
    }

    /// <summary>
    /// Returns a decoder that has seen the prompt. Decoding from the prompt puts the decoder mid-text, so a
    /// generated piece keeps its leading space as it would in a decode of the whole sequence.
    /// </summary>
    private StreamingDecoder DecoderAfter(int[] promptIds)
    {
        var decoder = _model.Tokenizer.CreateStreamingDecoder();
        foreach (var id in promptIds)
        {
            decoder.Push(id);
        }

        decoder.Flush();
        return decoder;
    }

    private void AddLogprobs(TokenEvent token, string piece)
    {
        _tokens.Add(piece);
        _tokenLogprobs.Add(token.Logprob);
        _textOffsets.Add(_decodedLength);

        var top = new Dictionary<string, float>();
        foreach (var alternative in token.TopLogprobs)
        {
            // Two ids can decode to the same text; the more likely one, listed first, keeps the key.
            var text = _alternativeDecoder.Push(alternative.TokenId) + _alternativeDecoder.Flush();
            top.TryAdd(text, alternative.Logprob);
        }

        _topLogprobs.Add(top);
    }
}
