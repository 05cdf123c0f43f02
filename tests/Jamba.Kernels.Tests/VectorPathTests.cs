using Jamba.Kernels;

namespace Jamba.Kernels.Tests;

/// <summary>Each SIMD path agrees with the plain scalar path beside it.</summary>
public class VectorPathTests
{
    private static float[] RandomValues(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2 - 1) * scale).ToArray();
    }

    [Theory]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(100)]
    [InlineData(4096)]
    public void BFloat16Dot_matches_scalar(int length)
    {
        var weights = RandomValues(length, 1).Select(Widen.SingleToBFloat16).ToArray();
        var x = RandomValues(length, 2);

        var vector = Dot.BFloat16(weights, x);
        var scalar = Dot.BFloat16Scalar(weights, x);

        Assert.Equal(scalar, vector, 1e-3f * MathF.Sqrt(length));
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(37, false)]
    [InlineData(37, true)]
    [InlineData(1024, true)]
    public unsafe void Block4x4_equals_one_at_a_time_bitwise(int length, bool bfloat16)
    {
        var values = RandomValues(4 * length, 12);
        var rows = bfloat16
            ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.Select(Widen.SingleToBFloat16).ToArray().AsSpan()).ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var rowBytes = rows.Length / 4;
        var inputs = RandomValues(4 * length, 20);
        var block = new float[4 * 4];

        fixed (byte* w = rows)
        fixed (float* x = inputs)
        fixed (float* y = block)
        {
            Dot.Block4x4(w, rowBytes, bfloat16, x, length, y, yStride: 4);
        }

        for (var t = 0; t < 4; t++)
        {
            for (var r = 0; r < 4; r++)
            {
                var row = rows.AsSpan(r * rowBytes, rowBytes);
                var input = inputs.AsSpan(t * length, length);
                var single = bfloat16
                    ? Dot.BFloat16(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(row), input)
                    : Dot.Single(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(row), input);
                Assert.Equal(single, block[t * 4 + r]);
            }
        }
    }

    [Fact]
    public void BFloat16Widening_matches_scalar()
    {
        var bits = RandomValues(37, 3, 100f).Select(Widen.SingleToBFloat16).ToArray();
        var widened = new float[bits.Length];

        Widen.BFloat16ToSingle(bits, widened);

        for (var i = 0; i < bits.Length; i++)
        {
            Assert.Equal(Widen.BFloat16ToSingle(bits[i]), widened[i]);
        }
    }

    [Fact]
    public void SingleToBFloat16_rounds_to_nearest_even()
    {
        // 1 + 2^-8 lies halfway between two BF16 values; the even one is 1.0.
        Assert.Equal(0x3F80, Widen.SingleToBFloat16(1f + 1f / 256));
        Assert.Equal(0x3F82, Widen.SingleToBFloat16(1f + 3f / 256));
    }

    [Fact]
    public void Softplus_matches_scalar()
    {
        var vector = RandomValues(700, 13, 30f);
        var scalar = vector.ToArray();

        Ops.Softplus(vector);
        Ops.SoftplusScalar(scalar);

        for (var i = 0; i < vector.Length; i++)
        {
            Assert.Equal(scalar[i], vector[i], 1e-5f * MathF.Max(1f, MathF.Abs(scalar[i])));
        }
    }

    [Fact]
    public void SiLU_matches_scalar()
    {
        var vector = RandomValues(600, 4, 8f);
        var scalar = vector.ToArray();

        Ops.SiLU(vector);
        Ops.SiLUScalar(scalar);

        for (var i = 0; i < vector.Length; i++)
        {
            Assert.Equal(scalar[i], vector[i], 1e-5f);
        }
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(16, 9)]
    [InlineData(8, 5)]
    public void SelectiveScan_matches_scalar(int dState, int tokens)
    {
        const int dInner = 24;
        var u = RandomValues(tokens * dInner, 5);
        var delta = RandomValues(tokens * dInner, 6).Select(MathF.Abs).ToArray();
        var b = RandomValues(tokens * dState, 7);
        var c = RandomValues(tokens * dState, 8);
        var a = RandomValues(dInner * dState, 9).Select(v => -MathF.Exp(v)).ToArray();
        var d = RandomValues(dInner, 10);
        var hVector = RandomValues(dInner * dState, 11);
        var hScalar = hVector.ToArray();
        var yVector = new float[tokens * dInner];
        var yScalar = new float[tokens * dInner];

        SelectiveScan.Run(u, delta, b, c, a, d, hVector, yVector);
        SelectiveScan.RunScalar(u, delta, b, c, a, d, hScalar, yScalar, dInner, dState, tokens);

        for (var i = 0; i < yScalar.Length; i++)
        {
            Assert.Equal(yScalar[i], yVector[i], 1e-4f);
        }

        for (var i = 0; i < hScalar.Length; i++)
        {
            Assert.Equal(hScalar[i], hVector[i], 1e-4f);
        }
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 300)]
    [InlineData(12, 7)]
    public void Attention_head_matches_scalar(int headDim, int positions)
    {
        const int kvWidth = 3 * 64;
        var query = RandomValues(headDim, 30);
        var keys = RandomValues(positions * kvWidth, 31);
        var values = RandomValues(positions * kvWidth, 32);
        var scores = new float[positions];
        var output = new float[headDim];

        CausalAttention.Head(query, keys, values, kvWidth, kvOffset: 64, positions, scale: 0.125f, scores, output);

        var expectedScores = new float[positions];
        CausalAttention.ScoresScalar(query, keys, kvWidth, 64, expectedScores);
        var max = expectedScores.Max() * 0.125f;
        var weights = expectedScores.Select(score => MathF.Exp(score * 0.125f - max)).ToArray();
        var total = weights.Sum();
        var expected = new float[headDim];
        CausalAttention.WeightedSumScalar(weights.Select(w => w / total).ToArray(), values, kvWidth, 64, expected);
        for (var i = 0; i < headDim; i++)
        {
            Assert.Equal(expected[i], output[i], 1e-5f);
        }
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(64, 77)]
    [InlineData(12, 9)]
    public void Attention_group_of_four_matches_each_head(int headDim, int positions)
    {
        var kvWidth = 2 * headDim;
        var queries = RandomValues(4 * headDim, 40);
        var keys = RandomValues(positions * kvWidth, 41);
        var values = RandomValues(positions * kvWidth, 42);
        var grouped = new float[4 * headDim];

        CausalAttention.GroupOfFour(queries, keys, values, kvWidth, kvOffset: headDim, positions, scale: 0.25f,
            new float[4 * positions], grouped);

        for (var h = 0; h < 4; h++)
        {
            var single = new float[headDim];
            CausalAttention.Head(queries.AsSpan(h * headDim, headDim), keys, values, kvWidth, headDim, positions, 0.25f,
                new float[positions], single);
            for (var i = 0; i < headDim; i++)
            {
                Assert.Equal(single[i], grouped[h * headDim + i], 1e-5f);
            }
        }
    }
}
