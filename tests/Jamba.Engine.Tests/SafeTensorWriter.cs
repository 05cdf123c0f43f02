using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Jamba.Engine.Loading;

namespace Jamba.Engine.Tests;

/// <summary>One tensor to write: its name, safetensors dtype string, shape and raw little-endian bytes.</summary>
public sealed record TensorEntry(string Name, string DType, long[] Shape, byte[] Data);

/// <summary>Writes safetensors files, well-formed or with a crafted header, for loader tests.</summary>
public static class SafeTensorWriter
{
    /// <summary>Writes the tensors back to back in the given order, with offsets computed from their bytes.</summary>
    public static void Write(string path, IReadOnlyList<TensorEntry> tensors)
    {
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType);
                json.WriteStartArray("shape");
                foreach (var dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }

            json.WriteEndObject();
        }

        WriteRaw(path, Encoding.UTF8.GetString(header.ToArray()), tensors.SelectMany(t => t.Data).ToArray());
    }

    /// <summary>
    /// Writes <paramref name="headerJson"/>, padded with spaces to a multiple of 8 bytes as the format
    /// recommends, then <paramref name="data"/>. <paramref name="headerLength"/> replaces the true
    /// header length in the first 8 bytes.
    /// </summary>
    public static void WriteRaw(string path, string headerJson, byte[] data, long? headerLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var padded = new byte[(header.Length + 7) / 8 * 8];
        padded.AsSpan().Fill((byte)' ');
        header.CopyTo(padded, 0);

        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, headerLength ?? padded.Length);
        file.Write(length);
        file.Write(padded);
        file.Write(data);
    }

    /// <summary>Reads every tensor of a safetensors file, in data-section order.</summary>
    public static List<TensorEntry> ReadAll(string path)
    {
        using var file = SafeTensorFile.Open(path);
        return file.Tensors
            .OrderBy(t => t.Begin)
            .Select(t => new TensorEntry(t.Name, t.DType, t.Shape, file.GetBytes(t).ToArray()))
            .ToList();
    }
}
