using System.Text;
using Jamba.Engine.Loading;
using Microsoft.ML.Tokenizers;

namespace Jamba.Engine.Tokenization;

/// <summary>
/// The SentencePiece BPE tokenizer of a Jamba checkpoint (tokenizer.model, with byte fallback), with the
/// BOS/EOS policy of its tokenizer_config.json. Encoding runs through Microsoft.ML.Tokenizers. Decoding
/// follows SentencePiece's rules, so special tokens vanish, byte pieces join into UTF-8 and the
/// dummy-prefix space before the first word is dropped. Encode and Decode may run on many threads at
/// once, because neither this class nor the ML.Tokenizers 3.0.0 SentencePiece model changes state after loading.
/// </summary>
public sealed class JambaTokenizer
{
    public const string ModelFileName = "tokenizer.model";

    private readonly SentencePieceTokenizer _sentencePiece;
    private readonly PieceTable _pieces;
    private readonly bool _addBos;
    private readonly bool _addEos;

    private JambaTokenizer(SentencePieceTokenizer sentencePiece, PieceTable pieces, bool addBos, bool addEos, int? bosId, int? eosId)
    {
        _sentencePiece = sentencePiece;
        _pieces = pieces;
        _addBos = addBos;
        _addEos = addEos;
        BosId = bosId;
        EosId = eosId;
    }

    public int? BosId { get; }

    public int? EosId { get; }

    public int VocabSize => _pieces.Count;

    /// <summary>
    /// Loads tokenizer.model and tokenizer_config.json from <paramref name="modelDirectory"/>. Special tokens
    /// named in tokenizer_config.json map to ids through the vocabulary; those it leaves out come from
    /// config.json's bos_token_id, eos_token_id and pad_token_id.
    /// </summary>
    public static JambaTokenizer Load(string modelDirectory)
    {
        var modelPath = Path.Combine(modelDirectory, ModelFileName);
        var configPath = Path.Combine(modelDirectory, TokenizerConfig.FileName);
        var sentencePiece = LoadModel(modelPath);
        var config = TokenizerConfig.Load(configPath);
        var vocabulary = sentencePiece.Vocabulary;
        var vocabSize = vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1;

        var modelConfig = new Lazy<JambaConfig?>(() =>
        {
            var path = Path.Combine(modelDirectory, "config.json");
            return File.Exists(path) ? JambaConfig.Load(path) : null;
        });

        int? Resolve(string field, string? token, Func<JambaConfig, int?> fallback)
        {
            if (token is not null)
            {
                return vocabulary.TryGetValue(token, out var id)
                    ? id
                    : throw new CheckpointException($"{configPath}: {field} '{token}' is not in the vocabulary of {modelPath}");
            }

            var fromConfig = modelConfig.Value is { } c ? fallback(c) : null;
            if (fromConfig is { } value && value >= vocabSize)
            {
                throw new CheckpointException(
                    $"{Path.Combine(modelDirectory, "config.json")}: {field}_id {value} is outside the tokenizer's vocabulary of {vocabSize}");
            }

            return fromConfig;
        }

        var bosId = Resolve("bos_token", config.BosToken, c => c.BosTokenId);
        var eosId = Resolve("eos_token", config.EosToken, c => c.EosTokenId);
        var padId = Resolve("pad_token", config.PadToken, c => c.PadTokenId);
        if (config.AddBosToken && bosId is null)
        {
            throw new CheckpointException($"{configPath}: add_bos_token is true but no bos_token is set here or in config.json");
        }

        if (config.AddEosToken && eosId is null)
        {
            throw new CheckpointException($"{configPath}: add_eos_token is true but no eos_token is set here or in config.json");
        }

        // NOTE: ML.Tokenizers 3.0.0 does not expose SentencePiece's piece types, so a control piece other than
        // BOS, EOS and pad (none in the bundled model) decodes as its text instead of vanishing.
        var normalizer = sentencePiece.Normalizer as SentencePieceNormalizer;
        var removesExtraWhitespace = normalizer?.RemoveExtraWhiteSpaces ?? false;
        var controlIds = new[] { bosId, eosId, padId, sentencePiece.BeginningOfSentenceId, sentencePiece.EndOfSentenceId }
            .OfType<int>()
            .Where(id => id >= 0);
        var unknownId = sentencePiece.UnknownId >= 0 ? sentencePiece.UnknownId : (int?)null;
        var pieces = new PieceTable(vocabulary, sentencePiece.ByteFallback, unknownId, controlIds,
            sentencePiece.AddDummyPrefix || removesExtraWhitespace, removesExtraWhitespace);

        return new JambaTokenizer(sentencePiece, pieces, config.AddBosToken, config.AddEosToken, bosId, eosId);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as plain text: a special token's text in it is spelled out piece by
    /// piece, never turned into the special id. BOS and EOS are added as tokenizer_config.json sets, so an
    /// empty prompt still yields [BOS] when add_bos_token is set.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = _sentencePiece.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);

        var ids = new List<int>(pieces.Count + 2);
        if (_addBos)
        {
            ids.Add(BosId!.Value);
        }

        ids.AddRange(pieces);
        if (_addEos)
        {
            ids.Add(EosId!.Value);
        }

        return ids.ToArray();
    }

    /// <summary>Decodes ids to text, leaving out BOS, EOS and pad. The unknown token becomes " ⁇ ", as in SentencePiece.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var decoder = CreateStreamingDecoder();
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            text.Append(decoder.Push(id));
        }

        return text.Append(decoder.Flush()).ToString();
    }

    public StreamingDecoder CreateStreamingDecoder() => new(_pieces);

    private static SentencePieceTokenizer LoadModel(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FormatException or NotSupportedException)
        {
            throw new CheckpointException($"{path}: not a SentencePiece BPE model: {e.Message}", e);
        }
    }
}
