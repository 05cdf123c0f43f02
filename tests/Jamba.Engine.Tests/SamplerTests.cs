using Jamba.Engine.Sampling;

namespace Jamba.Engine.Tests;

public sealed class SamplerTests
{
    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.05f)]
    [InlineData(1e-30f)]
    [InlineData(float.Epsilon)]
    public void LowTemperaturePicksDominantToken(float temperature)
    {
        // Logit over temperature exceeds what exp can hold in a float (about 88) for every case here.
        float[] logits = [3f, 100f, 1f, -5f, 90f];
        var sampler = new Sampler(new SamplingOptions { Temperature = temperature, Seed = 7 });

        for (var draw = 0; draw < 20; draw++)
        {
            Assert.Equal(1, sampler.Sample(logits));
        }
    }

    [Fact]
    public void LargeLogitsKeepTheirDistribution()
    {
        // Two tokens a log-probability of ln 3 apart, far above exp's float range: about 3 in 4 draws pick the first.
        float[] logits = [500f + MathF.Log(3f), 500f];
        var sampler = new Sampler(new SamplingOptions { Temperature = 1f, Seed = 11 });

        var first = Enumerable.Range(0, 2000).Count(_ => sampler.Sample(logits) == 0);

        Assert.InRange(first, 1350, 1650);
    }
}
