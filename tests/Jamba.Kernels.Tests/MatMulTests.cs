using Jamba.Kernels;

namespace Jamba.Kernels.Tests;

public class MatMulTests
{
    private static (float[] Values, HostWeight Weight) RandomWeight(int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, rows * cols).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        return (values, HostWeight.FromArray(values, rows, cols));
    }

    private static float[] Reference(float[] w, int rows, int cols, float[] x, int n)
    {
        var y = new float[n * rows];
        for (var t = 0; t < n; t++)
        {
            for (var r = 0; r < rows; r++)
            {
                double sum = 0;
                for (var i = 0; i < cols; i++)
                {
                    sum += (double)w[r * cols + i] * x[t * cols + i];
                }

                y[t * rows + r] = (float)sum;
            }
        }

        return y;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    public void F32_matches_double_reference(int n)
    {
        const int rows = 300, cols = 200;
        var (values, weight) = RandomWeight(rows, cols, 1);
        var x = new Random(2).GetItems(Enumerable.Range(-50, 100).Select(v => v / 50f).ToArray(), n * cols);
        var y = new float[n * rows];

        MatMul.Compute(weight, x, n, y);

        var expected = Reference(values, rows, cols, x, n);
        for (var i = 0; i < y.Length; i++)
        {
            Assert.Equal(expected[i], y[i], 1e-3f);
        }
    }

    [Theory]
    [InlineData(DType.BF16)]
    [InlineData(DType.F32)]
    public void Converted_weight_gives_same_rows_for_one_and_many_inputs(DType type)
    {
        const int rows = 64, cols = 96, n = 5;
        var (_, source) = RandomWeight(rows, cols, 3);
        var weight = HostWeight.Convert(source, type);
        var x = new Random(4).GetItems(Enumerable.Range(-50, 100).Select(v => v / 50f).ToArray(), n * cols);
        var batched = new float[n * rows];

        MatMul.Compute(weight, x, n, batched);

        for (var t = 0; t < n; t++)
        {
            var single = new float[rows];
            MatMul.Compute(weight, x.AsSpan(t * cols, cols), 1, single);
            for (var r = 0; r < rows; r++)
            {
                Assert.Equal(batched[t * rows + r], single[r], 1e-4f);
            }
        }
    }

    [Fact]
    public void Int8_stays_within_half_a_step_of_each_block_scale()
    {
        const int rows = 8, cols = 80;
        var (values, source) = RandomWeight(rows, cols, 5);

        var quantized = Int8Weight.Quantize(source);

        var row = new float[cols];
        for (var r = 0; r < rows; r++)
        {
            quantized.ReadRow(r, row);
            for (var i = 0; i < cols; i++)
            {
                var block = values.AsSpan(r * cols + i / 32 * 32, Math.Min(32, cols - i / 32 * 32));
                var step = block.ToArray().Max(MathF.Abs) / 127f;
                Assert.True(MathF.Abs(row[i] - values[r * cols + i]) <= step * 0.5f + 1e-3f * step + 1e-7f,
                    $"row {r} column {i}: {row[i]} vs {values[r * cols + i]}, step {step}");
            }
        }
    }

    [Fact]
    public void Int8_dot_matches_its_dequantized_rows()
    {
        const int rows = 40, cols = 112;
        var (_, source) = RandomWeight(rows, cols, 6);
        var quantized = Int8Weight.Quantize(source);
        var x = new Random(7).GetItems(Enumerable.Range(-50, 100).Select(v => v / 50f).ToArray(), cols);
        var y = new float[rows];

        MatMul.Compute(quantized, x, 1, y);

        var row = new float[cols];
        for (var r = 0; r < rows; r++)
        {
            quantized.ReadRow(r, row);
            var expected = row.Zip(x, (a, b) => a * b).Sum();
            Assert.Equal(expected, y[r], 1e-3f);
        }
    }

    [Theory]
    [InlineData(96)]
    [InlineData(100)]
    public void Int8_four_inputs_equal_one_at_a_time_bitwise(int cols)
    {
        var (_, source) = RandomWeight(3, cols, 9);
        var quantized = Int8Weight.Quantize(source);
        var random = new Random(10);
        var inputs = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, cols).Select(_ => random.NextSingle() - 0.5f).ToArray()).ToArray();
        var four = new float[4];

        quantized.Dot4(1, inputs[0], inputs[1], inputs[2], inputs[3], four);

        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(quantized.Dot(1, inputs[k]), four[k]);
        }
    }

    [Fact]
    public void Int8_storage_is_at_most_55_percent_of_bf16()
    {
        var (_, source) = RandomWeight(128, 256, 8);

        var quantized = Int8Weight.Quantize(source);

        Assert.True(quantized.StoredBytes <= 0.55 * source.ElementCount * 2,
            $"{quantized.StoredBytes} bytes for {source.ElementCount} weights");
    }
}
