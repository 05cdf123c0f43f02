using System.Text.RegularExpressions;
using Jamba.Engine.Loading;

namespace Jamba.Cli.Inspection;

/// <summary>
/// Parameters stored in a checkpoint, and those one token runs through: all of them except the
/// experts the router leaves out, num_experts - top-k of them in every MoE layer.
/// </summary>
public sealed partial record ParameterCount(long Total, long Active, long WeightBytes, IReadOnlyList<string> DTypes)
{
    public static ParameterCount Of(Checkpoint checkpoint)
    {
        var config = checkpoint.Config;
        long total = 0;
        long bytes = 0;
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        var expertParameters = new Dictionary<int, long>();

        foreach (var name in checkpoint.TensorNames)
        {
            // A tied head reuses embed_tokens; some checkpoints still store a copy that the engine never reads.
            if (name == "lm_head.weight" && config.TieWordEmbeddings)
            {
                continue;
            }

            var info = checkpoint.FileOf(name)[name];
            total += info.ElementCount;
            bytes += info.End - info.Begin;
            dtypes.Add(info.DType);

            if (ExpertTensor().Match(name) is { Success: true } match)
            {
                var layer = int.Parse(match.Groups["layer"].Value);
                expertParameters[layer] = expertParameters.GetValueOrDefault(layer) + info.ElementCount;
            }
        }

        // Experts of a layer share one shape, so each unused one costs the layer's average.
        var unused = config.NumExperts - config.NumExpertsPerTok;
        var inactive = expertParameters.Values.Sum(layerTotal => layerTotal / config.NumExperts * unused);

        return new ParameterCount(total, total - inactive, bytes, dtypes.ToList());
    }

    [GeneratedRegex(@"^model\.layers\.(?<layer>\d+)\.feed_forward\.experts\.\d+\.")]
    private static partial Regex ExpertTensor();
}
