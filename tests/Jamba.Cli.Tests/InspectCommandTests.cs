using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Jamba.Cli.Tests;

public class InspectCommandTests
{
    [Fact]
    public async Task Inspect_lists_layer_kinds()
    {
        var result = await Cli.RunAsync("inspect", "--model", Cli.TinyMoe);

        Assert.Equal(0, result.ExitCode);
        var layers = Regex.Matches(result.Out, @"^\s*(\d+)\s+(attention|Mamba)\s+(MoE|dense MLP)", RegexOptions.Multiline)
            .ToDictionary(m => int.Parse(m.Groups[1].Value), m => (Mixer: m.Groups[2].Value, FeedForward: m.Groups[3].Value));
        Assert.Equal(8, layers.Count);
        for (var i = 0; i < 8; i++)
        {
            // tiny-moe: attention at layers 2 and 6 (period 4, offset 2), MoE on odd layers.
            Assert.Equal(i is 2 or 6 ? "attention" : "Mamba", layers[i].Mixer);
            Assert.Equal(i % 2 == 1 ? "MoE" : "dense MLP", layers[i].FeedForward);
        }
    }

    [Fact]
    public async Task Inspect_counts_parameters_from_header()
    {
        var (total, perExpertLayer) = CountFromHeader(Path.Combine(Cli.TinyMoe, "model.safetensors"));

        // 4 experts, top-2: two experts of every MoE layer stay idle for each token.
        var inactive = perExpertLayer.Values.Sum(experts => experts / 4 * 2);

        var result = await Cli.RunAsync("inspect", "--model", Cli.TinyMoe);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(4, perExpertLayer.Count);
        Assert.Equal(total, ReadCount(result.Out, "total"));
        Assert.Equal(total - inactive, ReadCount(result.Out, "active per token"));
    }

    [Fact]
    public async Task Inspect_sizes_state_per_session()
    {
        var result = await Cli.RunAsync("inspect", "--model", Cli.TinyMoe);

        // 2 attention layers: K and V of 2 KV heads x head_dim 16 in F32 per token.
        const long perToken = 2 * (2 * 2 * 16 * 4);

        // 6 Mamba layers: conv window d_conv 4 x d_inner 128 and h d_inner 128 x d_state 16, in F32.
        const long fixedBytes = 6 * (4 * 128 + 128 * 16) * 4;

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(perToken, ReadCount(result.Out, "KV cache"));
        Assert.Equal(fixedBytes, ReadCount(result.Out, "Mamba"));
        Assert.Equal(fixedBytes + 1024 * perToken, ReadCount(result.Out, "at 1K tokens"));
        Assert.Equal(fixedBytes + 32 * 1024 * perToken, ReadCount(result.Out, "at 32K tokens"));
        Assert.Equal(fixedBytes + 256 * 1024 * perToken, ReadCount(result.Out, "at 256K tokens"));
    }

    [Fact]
    public async Task Inspect_defaults_to_bundled_model()
    {
        var result = await Cli.RunAsync("inspect");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("jamba-tiny-kjv", result.Out);
        Assert.Contains("vocab 2048", result.Out);
    }

    /// <summary>Sums element counts straight from the safetensors JSON header, and the expert tensors per layer.</summary>
    private static (long Total, Dictionary<int, long> ExpertsPerLayer) CountFromHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));

        long total = 0;
        var experts = new Dictionary<int, long>();
        foreach (var tensor in header.RootElement.EnumerateObject().Where(t => t.Name != "__metadata__"))
        {
            var elements = tensor.Value.GetProperty("shape").EnumerateArray().Aggregate(1L, (n, dim) => n * dim.GetInt64());
            total += elements;

            var match = Regex.Match(tensor.Name, @"^model\.layers\.(\d+)\.feed_forward\.experts\.");
            if (match.Success)
            {
                var layer = int.Parse(match.Groups[1].Value);
                experts[layer] = experts.GetValueOrDefault(layer) + elements;
            }
        }

        return (total, experts);
    }

    private static long ReadCount(string output, string label)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(label)}\s+([\d,]+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{label}' line in:\n{output}");
        return long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }
}
