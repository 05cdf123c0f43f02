using System.Buffers.Binary;
using Jamba.Engine.Loading;

namespace Jamba.Engine.Tests;

public class EngineSafeTensorWriterTests
{
    [Theory]
    [InlineData("F4", 4)]
    [InlineData("BF16", 3)]
    public void AddBytes_rejects_invalid_data(string dtype, int bytes)
    {
        var writer = new SafeTensorWriter();

        var error = Assert.Throws<ArgumentException>(() => writer.AddBytes("w", dtype, [bytes], new byte[bytes]));

        Assert.Contains(dtype, error.Message);
    }

    [Fact]
    public void Writer_round_trips_through_reader()
    {
        var path = Path.Combine(Path.GetTempPath(), $"writer-{Guid.NewGuid():N}.safetensors");
        var writer = new SafeTensorWriter();
        writer.AddI64("ids", [1, 17, 42], 3);
        writer.AddF32("logits", [0.5f, -1.25f, 3f, float.MaxValue, 0f, -0f], 2, 3);
        writer.SetMetadata("producer", "test");

        try
        {
            writer.Save(path);
            using var file = SafeTensorFile.Open(path);

            Assert.Equal(new long[] { 1, 17, 42 }, file.ReadInt64s("ids"));
            Assert.Equal(new long[] { 3 }, file["ids"].Shape);
            Assert.Equal(new[] { 0.5f, -1.25f, 3f, float.MaxValue, 0f, -0f }, file.ReadSingles("logits"));
            Assert.Equal(new long[] { 2, 3 }, file["logits"].Shape);
            Assert.Equal("test", file.Metadata["producer"]);

            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path));
            Assert.Equal(0UL, (8 + headerLength) % 8);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Writer_rejects_shape_mismatch()
    {
        var writer = new SafeTensorWriter();

        var error = Assert.Throws<ArgumentException>(() => writer.AddF32("x", [1f, 2f, 3f], 2, 2));

        Assert.Contains("tensor 'x' has 3 values but shape [2, 2] needs 4", error.Message);
    }

    [Fact]
    public void Writer_rejects_duplicate_name()
    {
        var writer = new SafeTensorWriter();
        writer.AddI64("x", [1], 1);

        var error = Assert.Throws<ArgumentException>(() => writer.AddI64("x", [2], 1));

        Assert.Contains("tensor 'x' was already added", error.Message);
    }
}
