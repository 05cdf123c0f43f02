using System.CommandLine;
using Jamba.Actors.Placement;
using Jamba.Cli.Inspection;
using Jamba.Engine.Loading;
using Jamba.Engine.State;

namespace Jamba.Cli.Commands;

/// <summary><c>jamba inspect</c>: the layer layout, parameter counts and state sizes of a checkpoint.</summary>
public static class InspectCommand
{
    /// <summary>Session lengths to size the state for: 1K, 32K and 256K tokens, Jamba's longest context.</summary>
    private static readonly int[] SessionTokens = [1024, 32 * 1024, 256 * 1024];

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var nodes = CommonOptions.InRange("--nodes", "Also print a placement plan for a cluster of this many nodes", 0, 0, 1024, "N");
        var command = new Command("inspect", "Print the layer layout, total and active parameters, and state bytes per session")
        {
            model, nodes,
        };

        command.SetAction(parseResult =>
        {
            var directory = ModelLocator.Resolve(parseResult.GetValue(model));
            using var checkpoint = Checkpoint.Open(directory);
            Write(context.Out, directory, checkpoint);
            if (parseResult.GetValue(nodes) is > 0 and var count)
            {
                context.Out.WriteLine();
                context.Out.Write(PlacementPlan.ForClusterSize(checkpoint.Config, count).Describe());
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void Write(TextWriter output, string directory, Checkpoint checkpoint)
    {
        var config = checkpoint.Config;
        var parameters = ParameterCount.Of(checkpoint);
        var state = StateSize.For(config);
        var attentionLayers = Enumerable.Range(0, config.NumHiddenLayers).Count(config.IsAttentionLayer);
        var mambaLayers = config.NumHiddenLayers - attentionLayers;

        output.WriteLine($"model     {directory}");
        output.WriteLine(
            $"config    hidden {config.HiddenSize}, intermediate {config.IntermediateSize}, vocab {config.VocabSize}, " +
            $"{config.NumAttentionHeads} heads ({config.NumKeyValueHeads} KV, head_dim {config.HeadDim}), " +
            $"d_state {config.MambaDState}, d_conv {config.MambaDConv}, d_inner {config.MambaDInner}, dt rank {config.MambaDtRank}");
        output.WriteLine($"weights   {string.Join(", ", parameters.DTypes)}, {Format.Bytes(parameters.WeightBytes)}");
        output.WriteLine();

        WriteLayers(output, config);
        output.WriteLine();

        output.WriteLine("parameters");
        output.WriteLine($"  total             {Format.Count(parameters.Total),15}  ({Format.Scaled(parameters.Total)})");
        var routed = config.NumExperts > 1 ? $"; top-{config.NumExpertsPerTok} of {config.NumExperts} experts" : "";
        output.WriteLine($"  active per token  {Format.Count(parameters.Active),15}  ({Format.Scaled(parameters.Active)}{routed})");
        output.WriteLine();

        output.WriteLine("state per sequence (F32)");
        output.WriteLine($"  KV cache          {Format.Count(state.BytesPerToken),15} B per token  ({Plural(attentionLayers, "attention layer")})");
        output.WriteLine($"  Mamba             {Format.Count(state.FixedBytes),15} B fixed      ({Plural(mambaLayers, "Mamba layer")})");
        foreach (var tokens in SessionTokens)
        {
            output.WriteLine($"  at {tokens / 1024 + "K tokens",-14} {Format.Count(state.BytesFor(tokens)),15} B ({Format.Binary(state.BytesFor(tokens))})");
        }
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static void WriteLayers(TextWriter output, JambaConfig config)
    {
        output.WriteLine("layer  mixer      feed-forward");
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var mixer = config.IsAttentionLayer(i) ? "attention" : "Mamba";
            var feedForward = config.IsExpertLayer(i)
                ? $"MoE, {config.NumExperts} experts top-{config.NumExpertsPerTok}"
                : "dense MLP";
            output.WriteLine($"{i,5}  {mixer,-9}  {feedForward}");
        }

        var attention = Enumerable.Range(0, config.NumHiddenLayers).Count(config.IsAttentionLayer);
        var moe = Enumerable.Range(0, config.NumHiddenLayers).Count(config.IsExpertLayer);
        output.WriteLine(
            $"{config.NumHiddenLayers} layers: {attention} attention, {config.NumHiddenLayers - attention} Mamba; " +
            $"{moe} MoE, {config.NumHiddenLayers - moe} dense MLP");
    }
}
