using System.Buffers.Binary;
using Jamba.Engine.Loading;

namespace Jamba.Engine.Tests;

/// <summary>A corrupt or crafted safetensors file raises a <see cref="CheckpointException"/> naming the file and the tensor.</summary>
public class SafeTensorErrorTests
{
    private const string Model = "model.safetensors";

    private static CheckpointException LoadFails(TempCheckpoint copy) =>
        Assert.Throws<CheckpointException>(() => JambaModel.Load(copy.Directory));

    private static TempCheckpoint CopyWithHeader(string headerJson, int dataBytes)
    {
        var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        SafeTensorFiles.WriteRaw(copy.PathOf(Model), headerJson, new byte[dataBytes]);
        return copy;
    }

    [Fact]
    public void Header_length_longer_than_file()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        var path = copy.PathOf(Model);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt64LittleEndian(bytes, bytes.Length);
        File.WriteAllBytes(path, bytes);

        var error = LoadFails(copy);

        Assert.Contains(path, error.Message);
        Assert.Contains($"header length {bytes.Length}", error.Message);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(0L)]
    [InlineData(long.MaxValue)]
    public void Header_length_invalid(long headerLength)
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        SafeTensorFiles.WriteRaw(copy.PathOf(Model), "{}", [], headerLength);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("header length", error.Message);
    }

    [Fact]
    public void File_shorter_than_header_length_field()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        File.WriteAllBytes(copy.PathOf(Model), [1, 2, 3]);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("too short", error.Message);
    }

    [Fact]
    public void Truncated_data_section()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        var path = copy.PathOf(Model);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);

        var error = LoadFails(copy);

        Assert.Contains(path, error.Message);
        Assert.Contains("data_offsets", error.Message);
    }

    [Theory]
    [InlineData("[0, 8000]")]
    [InlineData("[8, 4]")]
    [InlineData("[-8, 0]")]
    [InlineData("[0]")]
    [InlineData("[0, \"8\"]")]
    public void Data_offsets_outside_file(string offsets)
    {
        using var copy = CopyWithHeader(
            $$$"""{"model.embed_tokens.weight": {"dtype": "F32", "shape": [2], "data_offsets": {{{offsets}}}}}""", 8);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.embed_tokens.weight'", error.Message);
        Assert.Contains("data_offsets", error.Message);
    }

    [Fact]
    public void Byte_count_disagreeing_with_shape()
    {
        using var copy = CopyWithHeader(
            """{"model.embed_tokens.weight": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}""", 8);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.embed_tokens.weight' spans 8 bytes", error.Message);
    }

    [Fact]
    public void Overlapping_tensors()
    {
        using var copy = CopyWithHeader(
            """
            {"model.final_layernorm.weight": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "model.embed_tokens.weight": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
            """, 12);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.final_layernorm.weight'", error.Message);
        Assert.Contains("'model.embed_tokens.weight'", error.Message);
        Assert.Contains("overlap", error.Message);
    }

    [Fact]
    public void Duplicate_tensor_name()
    {
        using var copy = CopyWithHeader(
            """
            {"model.embed_tokens.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
             "model.embed_tokens.weight": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
            """, 8);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.embed_tokens.weight' appears twice", error.Message);
    }

    [Fact]
    public void Shape_too_large_to_address()
    {
        using var copy = CopyWithHeader(
            """{"model.embed_tokens.weight": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}""", 8);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.embed_tokens.weight'", error.Message);
        Assert.Contains("too large", error.Message);
    }

    [Theory]
    [InlineData("[-1]")]
    [InlineData("[1.5]")]
    [InlineData("[\"2\"]")]
    public void Invalid_shape_dimension(string shape)
    {
        using var copy = CopyWithHeader(
            $$$"""{"model.embed_tokens.weight": {"dtype": "F32", "shape": {{{shape}}}, "data_offsets": [0, 8]}}""", 8);

        var error = LoadFails(copy);

        Assert.Contains("'model.embed_tokens.weight'", error.Message);
        Assert.Contains("shape", error.Message);
    }

    [Fact]
    public void Unsupported_dtype_string()
    {
        using var copy = CopyWithHeader(
            """{"model.embed_tokens.weight": {"dtype": "F24", "shape": [2], "data_offsets": [0, 6]}}""", 6);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.embed_tokens.weight'", error.Message);
        Assert.Contains("'F24'", error.Message);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"model\"")]
    [InlineData("null")]
    public void Header_not_a_json_object(string header)
    {
        using var copy = CopyWithHeader(header, 0);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("header must be a JSON object", error.Message);
    }

    [Theory]
    [InlineData("{\"a\": ")]
    [InlineData("not json")]
    public void Header_not_valid_json(string header)
    {
        using var copy = CopyWithHeader(header, 0);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void Header_not_valid_utf8()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        var header = System.Text.Encoding.UTF8.GetBytes("""{"model.??": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}""");
        var at = Array.IndexOf(header, (byte)'?');

        // A lead byte followed by a non-continuation byte is an invalid UTF-8 sequence.
        header[at] = 0xC3;
        header[at + 1] = 0x28;
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(copy.PathOf(Model), bytes);

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("header is not valid UTF-8", error.Message);
    }

    [Fact]
    public void Header_entry_not_an_object()
    {
        using var copy = CopyWithHeader("""{"model.embed_tokens.weight": [0, 8]}""", 8);

        var error = LoadFails(copy);

        Assert.Contains("'model.embed_tokens.weight'", error.Message);
        Assert.Contains("dtype", error.Message);
    }

    [Fact]
    public void Weight_of_wrong_shape()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.ReplaceTensor(Model, new TensorEntry("model.layers.0.input_layernorm.weight", "F32", [63], new byte[63 * 4]));

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.layers.0.input_layernorm.weight' has shape [63], expected [64]", error.Message);
    }

    [Fact]
    public void Weight_of_integer_dtype()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyMoe);
        copy.ReplaceTensor(Model, new TensorEntry("model.final_layernorm.weight", "I64", [64], new byte[64 * 8]));

        var error = LoadFails(copy);

        Assert.Contains(copy.PathOf(Model), error.Message);
        Assert.Contains("'model.final_layernorm.weight' has dtype I64", error.Message);
    }

    [Fact]
    public void Weight_of_f64_dtype()
    {
        using var copy = TempCheckpoint.CopyOf(Fixtures.TinyDenseBf16);
        copy.ReplaceTensor("model-00001-of-00002.safetensors",
            new TensorEntry("model.layers.1.mamba.D", "F64", [96], new byte[96 * 8]));

        var error = LoadFails(copy);

        Assert.Contains("model-00001-of-00002.safetensors", error.Message);
        Assert.Contains("'model.layers.1.mamba.D' has dtype F64", error.Message);
    }

    /// <summary>
    /// Overwrites each header byte of a valid file in turn: every variant must open or raise a
    /// <see cref="CheckpointException"/>, never another exception.
    /// </summary>
    [Fact]
    public void Corrupt_header_bytes_raise_checkpoint_errors()
    {
        var directory = Directory.CreateTempSubdirectory("jamba-fuzz-");
        try
        {
            var path = Path.Combine(directory.FullName, Model);
            SafeTensorFiles.Write(path,
            [
                new TensorEntry("a", "F32", [2, 2], new byte[16]),
                new TensorEntry("b", "BF16", [3], new byte[6]),
            ]);
            var original = File.ReadAllBytes(path);
            var headerEnd = 8 + (int)BinaryPrimitives.ReadInt64LittleEndian(original);
            byte[] replacements = [(byte)'{', (byte)'"', (byte)'9', (byte)'-', (byte)',', 0xFF, 0];
            var opened = 0;
            var rejected = 0;

            for (var position = 0; position < headerEnd; position++)
            {
                foreach (var replacement in replacements)
                {
                    var corrupt = (byte[])original.Clone();
                    corrupt[position] = replacement;
                    File.WriteAllBytes(path, corrupt);
                    try
                    {
                        using var file = SafeTensorFile.Open(path);
                        foreach (var tensor in file.Tensors)
                        {
                            _ = file.GetBytes(tensor).Length;
                        }

                        opened++;
                    }
                    catch (CheckpointException)
                    {
                        rejected++;
                    }
                }
            }

            Assert.True(rejected > 0, "no corruption was detected");
            Assert.True(opened > 0, "no harmless corruption (such as in padding) was accepted");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
