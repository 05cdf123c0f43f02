using Jamba.Engine.Loading;
using Jamba.Engine.State;
using Jamba.Kernels;

namespace Jamba.Engine.Layers;

/// <summary>
/// One Jamba block: x += mixer(rmsnorm(x)); x += ffn(rmsnorm(x)). The mixer is attention or Mamba,
/// the feed-forward a dense MLP or a mixture of experts, as the config's layer periods decide.
/// </summary>
public sealed class DecoderLayer
{
    private readonly RmsNorm _inputNorm;
    private readonly RmsNorm _preFeedForwardNorm;

    private DecoderLayer(int index, RmsNorm inputNorm, AttentionMixer? attention, MambaMixer? mamba,
        RmsNorm preFeedForwardNorm, IFeedForward feedForward)
    {
        Index = index;
        _inputNorm = inputNorm;
        Attention = attention;
        Mamba = mamba;
        _preFeedForwardNorm = preFeedForwardNorm;
        FeedForward = feedForward;
    }

    public int Index { get; }

    public AttentionMixer? Attention { get; }

    public MambaMixer? Mamba { get; }

    public IFeedForward FeedForward { get; }

    public static DecoderLayer Load(Checkpoint checkpoint, IComputeBackend backend, int layer, Func<int, bool> loadExpert)
    {
        var config = checkpoint.Config;
        var prefix = $"model.layers.{layer}";
        RmsNorm Norm(string name) => new(checkpoint.Vector($"{prefix}.{name}.weight", config.HiddenSize), config.RmsNormEps);

        var attention = config.IsAttentionLayer(layer) ? AttentionMixer.Load(checkpoint, backend, layer) : null;
        var mamba = attention is null ? MambaMixer.Load(checkpoint, backend, layer) : null;
        IFeedForward feedForward = config.IsExpertLayer(layer)
            ? MoeBlock.Load(checkpoint, backend, layer, loadExpert)
            : DenseMlp.Load(checkpoint, backend, $"{prefix}.feed_forward");

        return new DecoderLayer(layer, Norm("input_layernorm"), attention, mamba, Norm("pre_ff_layernorm"), feedForward);
    }

    /// <summary>Whether <paramref name="state"/> is a cache of this layer's kind and size.</summary>
    public bool Fits(LayerState state) => state switch
    {
        AttentionCache cache => Attention is not null && cache.KvWidth == Attention.KvWidth,
        MambaCache cache => Mamba is not null && Mamba.Fits(cache),
        _ => false,
    };

    public LayerState CreateState() => Attention is not null ? Attention.CreateCache() : Mamba!.CreateCache();

    /// <summary>x += mixer(input_layernorm(x)) for T tokens of one sequence.</summary>
    public void ForwardMixer(Span<float> x, int T, LayerState state) =>
        ForwardMixer(x, Segment.Single(T), [state]);

    /// <summary>x += mixer(input_layernorm(x)) for a batch of sequences, segment s using states[s].</summary>
    public void ForwardMixer(Span<float> x, IReadOnlyList<Segment> segments, IReadOnlyList<LayerState> states)
    {
        var normed = new float[x.Length];
        _inputNorm.Forward(x, normed);

        var mixed = new float[x.Length];
        if (Attention is not null)
        {
            Attention.Forward(normed, segments, states.Cast<AttentionCache>().ToArray(), mixed);
        }
        else
        {
            Mamba!.Forward(normed, segments, states.Cast<MambaCache>().ToArray(), mixed);
        }

        Ops.Add(x, mixed);
    }

    /// <summary>rmsnorm(x) with pre_ff_layernorm: the rows the feed-forward (or the router) sees.</summary>
    public float[] PreFeedForwardNorm(ReadOnlySpan<float> x)
    {
        var normed = new float[x.Length];
        _preFeedForwardNorm.Forward(x, normed);
        return normed;
    }

    /// <summary>x += ffn(pre_ff_layernorm(x)) for n rows, which may come from several sequences.</summary>
    public void ForwardFeedForward(Span<float> x, int n, RoutingTrace? trace = null)
    {
        var normed = PreFeedForwardNorm(x);
        var output = new float[x.Length];
        if (trace is not null)
        {
            trace.CurrentLayer = Index;
        }

        FeedForward.Forward(normed, n, output, trace);
        Ops.Add(x, output);
    }
}
