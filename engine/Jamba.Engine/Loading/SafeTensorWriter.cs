using System.Runtime.InteropServices;
using System.Text.Json;

namespace Jamba.Engine.Loading;

/// <summary>
/// Builds a safetensors file: an 8-byte little-endian header length, a JSON header that maps each
/// name to its dtype, shape and [begin, end) byte offsets, then the tensors' bytes in the order they
/// were added, as the safetensors format lays them out, so <see cref="SafeTensorFile"/> reads it back.
/// </summary>
public sealed class SafeTensorWriter
{
    private const string MetadataKey = "__metadata__";

    private readonly List<(string Name, string DType, long[] Shape, byte[] Data)> _tensors = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    public void AddF32(string name, ReadOnlySpan<float> values, params long[] shape) =>
        Add(name, "F32", shape, values.Length, MemoryMarshal.AsBytes(values));

    public void AddI64(string name, ReadOnlySpan<long> values, params long[] shape) =>
        Add(name, "I64", shape, values.Length, MemoryMarshal.AsBytes(values));

    /// <summary>Adds a tensor of any safetensors dtype from its raw little-endian bytes.</summary>
    public void AddBytes(string name, string dtype, long[] shape, ReadOnlySpan<byte> bytes)
    {
        if (!SafeTensorFile.ElementSizes.TryGetValue(dtype, out var elementSize))
        {
            throw new ArgumentException($"tensor '{name}' has unknown dtype '{dtype}'", nameof(dtype));
        }

        if (bytes.Length % elementSize != 0)
        {
            throw new ArgumentException($"tensor '{name}' has {bytes.Length} bytes, not a whole number of {dtype} values", nameof(bytes));
        }

        Add(name, dtype, shape, bytes.Length / elementSize, bytes);
    }

    /// <summary>Sets a free-form string entry of the header's __metadata__ object.</summary>
    public void SetMetadata(string key, string value) => _metadata[key] = value;

    private void Add(string name, string dtype, long[] shape, int count, ReadOnlySpan<byte> bytes)
    {
        if (string.IsNullOrEmpty(name) || name == MetadataKey)
        {
            throw new ArgumentException($"'{name}' cannot name a tensor", nameof(name));
        }

        if (_tensors.Any(t => t.Name == name))
        {
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        }

        var elements = shape.Aggregate(1L, (product, dim) => dim >= 0
            ? product * dim
            : throw new ArgumentException($"tensor '{name}' has a negative dimension {dim}", nameof(shape)));
        if (elements != count)
        {
            throw new ArgumentException(
                $"tensor '{name}' has {count} values but shape [{string.Join(", ", shape)}] needs {elements}", nameof(shape));
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors stores little-endian values; this machine is big-endian");
        }

        _tensors.Add((name, dtype, shape.ToArray(), bytes.ToArray()));
    }

    public void WriteTo(Stream stream)
    {
        var header = BuildHeader();

        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var tensor in _tensors)
        {
            stream.Write(tensor.Data);
        }
    }

    /// <summary>Writes the file, replacing any file at <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        WriteTo(stream);
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in _metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in _tensors)
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

        // The format allows trailing spaces in the header. Padding it to a multiple of 8 bytes aligns the
        // data section, so a reader that maps the file can view F32 and I64 values in place.
        var padded = (buffer.Length + 7) / 8 * 8;
        while (buffer.Length < padded)
        {
            buffer.WriteByte((byte)' ');
        }

        return buffer.ToArray();
    }
}
