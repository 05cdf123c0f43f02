using Jamba.Engine.Loading;

namespace Jamba.Cli.Tests;

public class LogitsCommandTests
{
    [Fact]
    public async Task Logits_reproduce_golden_file()
    {
        using var temp = Cli.CreateTempFolder();
        using var golden = SafeTensorFile.Open(Path.Combine(Cli.TinyMoe, "golden.safetensors"));
        var prefillIds = golden.ReadInt64s("prefill.ids");
        var goldenDecodeIds = golden.ReadInt64s("decode.ids");
        var output = temp.File("logits.safetensors");

        var result = await Cli.RunAsync("logits", "--model", Cli.TinyMoe, "--ids", string.Join(",", prefillIds),
            "--decode", goldenDecodeIds.Length.ToString(), "--output", output);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        using var written = SafeTensorFile.Open(output);
        var tolerance = Cli.Tolerance(Cli.TinyMoe);
        Assert.Equal(prefillIds, written.ReadInt64s("prefill.ids"));
        Assert.Equal(golden["prefill.logits"].Shape, written["prefill.logits"].Shape);
        AssertClose(golden.ReadSingles("prefill.logits"), written.ReadSingles("prefill.logits"), tolerance);
        Assert.Equal(goldenDecodeIds, written.ReadInt64s("decode.ids"));
        Assert.Equal(golden["decode.logits"].Shape, written["decode.logits"].Shape);
        AssertClose(golden.ReadSingles("decode.logits"), written.ReadSingles("decode.logits"), tolerance);
    }

    [Fact]
    public async Task Logits_without_decode_write_prefill_only()
    {
        using var temp = Cli.CreateTempFolder();
        var output = temp.File("prefill.safetensors");

        var result = await Cli.RunAsync("logits", "--model", Cli.TinyMoe, "--ids", "1,17,42", "--output", output);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("prefill.logits [3, 256]", result.Out);
        using var written = SafeTensorFile.Open(output);
        Assert.Equal(new long[] { 3, 256 }, written["prefill.logits"].Shape);
        Assert.False(written.Contains("decode.ids"));
        Assert.False(written.Contains("decode.logits"));
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
        Assert.True(worst <= tolerance, $"largest difference {worst} exceeds {tolerance}");
    }
}
