using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;
using Jamba.Kernels;

namespace Jamba.Engine.Loading;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>The product of the dimensions; throws <see cref="OverflowException"/> past <see cref="long.MaxValue"/>.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dim) => checked(product * dim));
}

/// <summary>
/// A memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header mapping
/// names to dtype, shape and [begin, end) offsets into the data section that follows. The header is
/// checked whole when the file opens, so later reads cannot go outside the file.
/// </summary>
public sealed unsafe class SafeTensorFile : IDisposable
{
    internal static readonly IReadOnlyDictionary<string, int> ElementSizes = new Dictionary<string, int>
    {
        ["F64"] = 8,
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I64"] = 8,
        ["I32"] = 4,
        ["I16"] = 2,
        ["I8"] = 1,
        ["U8"] = 1,
        ["BOOL"] = 1,
        ["F8_E4M3"] = 1,
        ["F8_E5M2"] = 1,
    };

    // The reference implementation rejects headers above 100 MB, which bounds what a corrupt length can make us read.
    private const long MaxHeaderLength = 100_000_000;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _tensors;
    private bool _disposed;

    private SafeTensorFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePointer,
        long dataStart, Dictionary<string, SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePointer;
        _dataStart = dataStart;
        _tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IReadOnlyCollection<SafeTensorInfo> Tensors => _tensors.Values;

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public SafeTensorInfo this[string name] => _tensors.TryGetValue(name, out var info)
        ? info
        : throw new CheckpointException($"{Path}: tensor '{name}' not found");

    public static SafeTensorFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }

        MemoryMappedFile map;
        long length;
        try
        {
            length = new FileInfo(path).Length;
            if (length < 8)
            {
                throw new CheckpointException($"{path}: file is {length} bytes, too short for a safetensors header length");
            }

            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot map the file: {e.Message}", e);
        }

        MemoryMappedViewAccessor? view = null;
        var pointerAcquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointerAcquired = true;
            pointer += view.PointerOffset;

            var headerLength = *(long*)pointer;
            if (headerLength <= 0 || headerLength > length - 8)
            {
                throw new CheckpointException(
                    $"{path}: header length {headerLength} does not fit in a file of {length} bytes");
            }

            if (headerLength > MaxHeaderLength)
            {
                throw new CheckpointException(
                    $"{path}: header length {headerLength} exceeds the safetensors limit of {MaxHeaderLength} bytes");
            }

            var header = new ReadOnlySpan<byte>(pointer + 8, (int)headerLength);
            var dataStart = 8 + headerLength;
            var (tensors, metadata) = ParseHeader(path, header, length - dataStart);
            return new SafeTensorFile(path, map, view, pointer, dataStart, tensors, metadata);
        }
        catch (Exception e)
        {
            // The acquired pointer holds a reference on the view; without releasing it the file
            // would stay mapped after a failed open.
            if (pointerAcquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            map.Dispose();
            if (e is IOException or UnauthorizedAccessException)
            {
                throw new CheckpointException($"{path}: cannot map the file: {e.Message}", e);
            }

            throw;
        }
    }

    private static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(
        string path, ReadOnlySpan<byte> header, long dataLength)
    {
        using (var document = JsonInput.Parse(path, header, "header"))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{path}: header must be a JSON object");
            }

            var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var entry in property.Value.EnumerateObject())
                        {
                            metadata[entry.Name] = entry.Value.ToString();
                        }
                    }

                    continue;
                }

                if (!tensors.TryAdd(property.Name, ParseEntry(path, property.Name, property.Value, dataLength)))
                {
                    throw new CheckpointException($"{path}: tensor '{property.Name}' appears twice in the header");
                }
            }

            CheckOverlaps(path, tensors.Values);
            return (tensors, metadata);
        }
    }

    private static SafeTensorInfo ParseEntry(string path, string name, JsonElement entry, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
        {
            throw new CheckpointException(
                $"{path}: tensor '{name}' needs a string 'dtype', an array 'shape' and an array 'data_offsets'");
        }

        var dtype = dtypeElement.GetString()!;
        if (!ElementSizes.TryGetValue(dtype, out var elementSize))
        {
            throw new CheckpointException($"{path}: tensor '{name}' has unknown dtype '{dtype}'");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw new CheckpointException($"{path}: tensor '{name}' has an invalid shape dimension {dim}");
            }

            shape[i++] = value;
        }

        if (offsetsElement.GetArrayLength() != 2)
        {
            throw new CheckpointException($"{path}: tensor '{name}' data_offsets must hold two numbers, got {offsetsElement.GetRawText()}");
        }

        var begin = ReadOffset(path, name, offsetsElement[0]);
        var end = ReadOffset(path, name, offsetsElement[1]);
        if (begin > end || end > dataLength)
        {
            throw new CheckpointException(
                $"{path}: tensor '{name}' data_offsets [{begin}, {end}) lie outside the data section of {dataLength} bytes");
        }

        var info = new SafeTensorInfo(name, dtype, shape, begin, end);
        long expectedBytes;
        try
        {
            expectedBytes = checked(info.ElementCount * elementSize);
        }
        catch (OverflowException)
        {
            throw new CheckpointException($"{path}: tensor '{name}' has shape [{string.Join(", ", shape)}], too large to address");
        }

        if (end - begin != expectedBytes)
        {
            throw new CheckpointException(
                $"{path}: tensor '{name}' spans {end - begin} bytes but {dtype} [{string.Join(", ", shape)}] needs {expectedBytes}");
        }

        return info;
    }

    private static long ReadOffset(string path, string name, JsonElement element) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value) && value >= 0
            ? value
            : throw new CheckpointException($"{path}: tensor '{name}' has an invalid data_offsets value {element.GetRawText()}");

    private static void CheckOverlaps(string path, IEnumerable<SafeTensorInfo> tensors)
    {
        SafeTensorInfo? previous = null;
        foreach (var tensor in tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
        {
            if (previous is not null && tensor.Begin < previous.End)
            {
                throw new CheckpointException(
                    $"{path}: tensors '{previous.Name}' and '{tensor.Name}' overlap in the data section");
            }

            previous = tensor;
        }
    }

    /// <summary>The tensor's bytes, in place in the mapped file.</summary>
    public ReadOnlySpan<byte> GetBytes(SafeTensorInfo info) =>
        new(_base + _dataStart + info.Begin, checked((int)(info.End - info.Begin)));

    /// <summary>A weight viewing the tensor in place as [shape[0], product of the other dims].</summary>
    public HostWeight GetWeight(SafeTensorInfo info)
    {
        var type = info.DType switch
        {
            "F32" => DType.F32,
            "BF16" => DType.BF16,
            "F16" => DType.F16,
            _ => throw new CheckpointException(
                $"{Path}: tensor '{info.Name}' has dtype {info.DType}; weights must be F32, BF16 or F16"),
        };

        var (rows, cols) = info.Shape.Length switch
        {
            0 => (1L, 1L),
            1 => (1L, info.Shape[0]),
            _ => (info.Shape[0], info.Shape[0] == 0 ? 0 : info.ElementCount / info.Shape[0]),
        };
        if (rows == 0 || cols == 0)
        {
            throw new CheckpointException($"{Path}: tensor '{info.Name}' is empty");
        }

        if (rows > int.MaxValue || cols > int.MaxValue)
        {
            throw new CheckpointException(
                $"{Path}: tensor '{info.Name}' is [{rows}, {cols}] as a matrix; each side must be below 2^31");
        }

        return new HostWeight(type, (int)rows, (int)cols, _base + _dataStart + info.Begin, this);
    }

    public float[] ReadSingles(string name)
    {
        var info = this[name];
        return info.DType switch
        {
            "F32" => MemoryMarshal.Cast<byte, float>(GetBytes(info)).ToArray(),
            "BF16" or "F16" => GetWeight(info).ToFloatArray(),
            _ => throw new CheckpointException($"{Path}: tensor '{name}' has dtype {info.DType}, expected a float type"),
        };
    }

    public long[] ReadInt64s(string name)
    {
        var info = this[name];
        return info.DType == "I64"
            ? MemoryMarshal.Cast<byte, long>(GetBytes(info)).ToArray()
            : throw new CheckpointException($"{Path}: tensor '{name}' has dtype {info.DType}, expected I64");
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Weights handed out keep this object reachable, so the view is never unmapped under them
        // unless a caller disposes it explicitly while still using them.
        _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _map?.Dispose();
    }
}
