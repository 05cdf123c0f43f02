using Jamba.Engine.Layers;
using Jamba.Engine.Loading;
using Jamba.Engine.State;
using Jamba.Kernels;

namespace Jamba.Engine;

/// <summary>
/// A Jamba causal language model, or the part of one that this node serves. Weights stay mapped from
/// the checkpoint in their stored type; per-sequence state lives in a <see cref="SequenceState"/>.
/// </summary>
public sealed class JambaModel : IDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly DecoderLayer?[] _layers;
    private readonly Weight? _embedding;
    private readonly RmsNorm? _finalNorm;
    private readonly Linear? _lmHead;

    private JambaModel(Checkpoint checkpoint, IComputeBackend backend, ModelPart part, DecoderLayer?[] layers,
        Weight? embedding, RmsNorm? finalNorm, Linear? lmHead, MoeBlock?[] expertsOnly)
    {
        _checkpoint = checkpoint;
        Backend = backend;
        Part = part;
        _layers = layers;
        _embedding = embedding;
        _finalNorm = finalNorm;
        _lmHead = lmHead;
        ExpertBlocks = expertsOnly;
    }

    public JambaConfig Config => _checkpoint.Config;

    public string Directory => _checkpoint.Directory;

    public IComputeBackend Backend { get; }

    public ModelPart Part { get; }

    public int FirstLayer => Part.FirstLayer;

    public int EndLayer => Part.EndLayer ?? Config.NumHiddenLayers;

    public IReadOnlyList<DecoderLayer?> Layers => _layers;

    /// <summary>MoE blocks by layer index for every MoE layer whose experts this node loaded, inside or outside its layer range.</summary>
    public IReadOnlyList<MoeBlock?> ExpertBlocks { get; }

    public static JambaModel Load(string directory, ModelPart? part = null, IComputeBackend? backend = null)
    {
        part ??= ModelPart.Whole;
        backend ??= CpuBackend.Instance;
        var checkpoint = Checkpoint.Open(directory);
        try
        {
            return Load(checkpoint, part, backend);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    private static JambaModel Load(Checkpoint checkpoint, ModelPart part, IComputeBackend backend)
    {
        var config = checkpoint.Config;
        var end = part.EndLayer ?? config.NumHiddenLayers;
        if (part.FirstLayer < 0 || end > config.NumHiddenLayers || part.FirstLayer > end)
        {
            throw new ArgumentException(
                $"layer range [{part.FirstLayer}, {end}) is outside the model's {config.NumHiddenLayers} layers");
        }

        var layers = new DecoderLayer?[config.NumHiddenLayers];
        for (var i = part.FirstLayer; i < end; i++)
        {
            var layer = i;
            layers[i] = DecoderLayer.Load(checkpoint, backend, i, e => part.Experts?.Invoke(layer, e) ?? true);
        }

        // A node outside a layer's range may still hold some of its experts.
        var expertBlocks = new MoeBlock?[config.NumHiddenLayers];
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            if (!config.IsExpertLayer(i))
            {
                continue;
            }

            if (layers[i]?.FeedForward is MoeBlock inRange)
            {
                expertBlocks[i] = inRange;
            }
            else if (part.Experts is { } filter && Enumerable.Range(0, config.NumExperts).Any(e => filter(i, e)))
            {
                var layer = i;
                expertBlocks[i] = MoeBlock.Load(checkpoint, backend, i, e => filter(layer, e));
            }
        }

        var hidden = (long)config.HiddenSize;
        var embedding = part.Embedding || (part.Head && IsHeadTied(checkpoint))
            ? backend.Prepare(checkpoint.Weight("model.embed_tokens.weight", config.VocabSize, hidden))
            : null;
        RmsNorm? finalNorm = null;
        Linear? lmHead = null;
        if (part.Head)
        {
            finalNorm = new RmsNorm(checkpoint.Vector("model.final_layernorm.weight", hidden), config.RmsNormEps);
            var headWeight = IsHeadTied(checkpoint)
                ? embedding!
                : backend.Prepare(checkpoint.Weight("lm_head.weight", config.VocabSize, hidden));
            lmHead = new Linear(backend, headWeight);
        }

        return new JambaModel(checkpoint, backend, part, layers, part.Embedding ? embedding : null, finalNorm, lmHead, expertBlocks);
    }

    private static bool IsHeadTied(Checkpoint checkpoint) =>
        checkpoint.Config.TieWordEmbeddings || !checkpoint.Contains("lm_head.weight");

    /// <summary>A fresh state with a cache for every layer this node serves.</summary>
    public SequenceState CreateState()
    {
        var states = new LayerState?[Config.NumHiddenLayers];
        for (var i = 0; i < states.Length; i++)
        {
            states[i] = _layers[i]?.CreateState();
        }

        return new SequenceState(states);
    }

    public void CheckTokens(ReadOnlySpan<int> ids)
    {
        foreach (var id in ids)
        {
            if (id < 0 || id >= Config.VocabSize)
            {
                throw new InvalidTokenException(id, Config.VocabSize);
            }
        }
    }

    /// <summary>Looks up the embeddings of <paramref name="ids"/>: [T, hidden].</summary>
    public float[] Embed(ReadOnlySpan<int> ids)
    {
        var embedding = _embedding ?? throw new InvalidOperationException("this node does not hold the embedding");
        CheckTokens(ids);
        var hidden = Config.HiddenSize;
        var x = new float[ids.Length * hidden];
        for (var t = 0; t < ids.Length; t++)
        {
            embedding.ReadRow(ids[t], x.AsSpan(t * hidden, hidden));
        }

        return x;
    }

    /// <summary>Runs this node's layers over x [T, hidden] of one sequence, in place.</summary>
    public void ForwardLayers(Span<float> x, int T, SequenceState state, RoutingTrace? trace = null) =>
        ForwardLayers(x, Segment.Single(T), [state], trace);

    /// <summary>
    /// Runs this node's layers over a batch packing several sequences' new tokens, in place:
    /// segment s of x belongs to states[s]. Every weight is read once per layer for the whole batch.
    /// </summary>
    public void ForwardLayers(Span<float> x, IReadOnlyList<Segment> segments, IReadOnlyList<SequenceState> states,
        RoutingTrace? trace = null)
    {
        if (segments.Count != states.Count)
        {
            throw new ArgumentException($"{segments.Count} segments for {states.Count} states", nameof(states));
        }

        // Checked before any layer runs, so a mismatched state fails without changing anything.
        foreach (var state in states)
        {
            CheckState(state);
        }

        var n = Segment.TotalRows(segments);
        for (var i = FirstLayer; i < EndLayer; i++)
        {
            var layer = _layers[i]!;
            var layerStates = new LayerState[states.Count];
            for (var s = 0; s < states.Count; s++)
            {
                layerStates[s] = states[s].Layers[i]
                    ?? throw new InvalidOperationException($"the sequence state has no slot for layer {i}");
            }

            layer.ForwardMixer(x, segments, layerStates);
            layer.ForwardFeedForward(x, n, trace);
        }
    }

    /// <summary>Throws unless <paramref name="state"/> has a cache of the right kind and size for each layer this node runs.</summary>
    public void CheckState(SequenceState state)
    {
        if (state.Layers.Length != Config.NumHiddenLayers)
        {
            throw new ArgumentException(
                $"the state has {state.Layers.Length} layers, this model has {Config.NumHiddenLayers}", nameof(state));
        }

        for (var i = FirstLayer; i < EndLayer; i++)
        {
            if (state.Layers[i] is not { } layerState || !_layers[i]!.Fits(layerState))
            {
                throw new ArgumentException($"the state's layer {i} does not fit this model's layer {i}", nameof(state));
            }
        }
    }

    /// <summary>final_layernorm and lm_head over x [n, hidden]: logits [n, vocab].</summary>
    public float[] Logits(ReadOnlySpan<float> x, int n)
    {
        var head = _lmHead ?? throw new InvalidOperationException("this node does not hold the head");
        var normed = new float[n * Config.HiddenSize];
        _finalNorm!.Forward(x[..normed.Length], normed);
        var logits = new float[n * Config.VocabSize];
        head.Forward(normed, n, logits);
        return logits;
    }

    /// <summary>
    /// Feeds new tokens on top of <paramref name="state"/> and returns logits: [T, vocab] for every
    /// new token, or [1, vocab] for the last one when <paramref name="allLogits"/> is false.
    /// </summary>
    public float[] Forward(SequenceState state, ReadOnlySpan<int> ids, bool allLogits = false, RoutingTrace? trace = null)
    {
        if (ids.Length == 0)
        {
            throw new ArgumentException("at least one token is needed", nameof(ids));
        }

        if (FirstLayer != 0 || EndLayer != Config.NumHiddenLayers)
        {
            throw new InvalidOperationException("Forward needs the whole model; this node loaded only part of it");
        }

        var T = ids.Length;
        var x = Embed(ids);
        ForwardLayers(x, T, state, trace);
        state.Position += T;

        if (allLogits)
        {
            return Logits(x, T);
        }

        var hidden = Config.HiddenSize;
        return Logits(x.AsSpan((T - 1) * hidden, hidden), 1);
    }

    /// <summary>
    /// Feeds new tokens of several sequences in one batch and returns the logits of each sequence's
    /// last new token: [states.Count, vocab]. Decoding many sequences this way reads the weights once
    /// per step for all of them.
    /// </summary>
    public float[] ForwardBatch(IReadOnlyList<SequenceState> states, IReadOnlyList<int[]> ids)
    {
        if (states.Count != ids.Count || states.Count == 0)
        {
            throw new ArgumentException($"need one id list per state, got {ids.Count} for {states.Count} states", nameof(ids));
        }

        if (ids.Any(sequence => sequence.Length == 0))
        {
            throw new ArgumentException("every sequence needs at least one new token", nameof(ids));
        }

        var segments = Segment.Pack(ids.Select(sequence => sequence.Length));
        var x = Embed(ids.SelectMany(sequence => sequence).ToArray());
        ForwardLayers(x, segments, states);

        var hidden = Config.HiddenSize;
        var last = new float[states.Count * hidden];
        for (var s = 0; s < segments.Length; s++)
        {
            var row = segments[s].Start + segments[s].Count - 1;
            x.AsSpan(row * hidden, hidden).CopyTo(last.AsSpan(s * hidden));
            states[s].Position += segments[s].Count;
        }

        return Logits(last, states.Count);
    }

    public void Dispose() => _checkpoint.Dispose();
}
