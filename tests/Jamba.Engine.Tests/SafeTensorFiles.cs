using System.Buffers.Binary;
using System.Text;
using Jamba.Engine.Loading;

namespace Jamba.Engine.Tests;

/// <summary>One tensor to write: its name, safetensors dtype string, shape and raw little-endian bytes.</summary>
public sealed record TensorEntry(string Name, string DType, long[] Shape, byte[] Data);

/// <summary>Writes safetensors files, well-formed through the engine's writer or with a crafted header, for loader tests.</summary>
public static class SafeTensorFiles
{
    /// <summary>Writes the tensors back to back in the given order, with offsets computed from their bytes.</summary>
    public static void Write(string path, IReadOnlyList<TensorEntry> tensors)
    {
        var writer = new SafeTensorWriter();
        foreach (var tensor in tensors)
        {
            writer.AddBytes(tensor.Name, tensor.DType, tensor.Shape, tensor.Data);
        }

        writer.Save(path);
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
