using System.Text.Json;
using Jamba.Kernels;

namespace Jamba.Engine.Loading;

/// <summary>
/// A checkpoint folder in the Hugging Face layout: config.json plus model.safetensors, or shards
/// listed by model.safetensors.index.json. Shards are mapped on first use, so a node that loads
/// only some layers maps only the files that hold them.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private const string SingleFile = "model.safetensors";
    private const string IndexFile = "model.safetensors.index.json";

    private readonly Dictionary<string, string> _tensorToFile;
    private readonly Dictionary<string, SafeTensorFile> _open = new(StringComparer.Ordinal);
    private readonly Lock _openLock = new();

    private Checkpoint(string directory, JambaConfig config, Dictionary<string, string> tensorToFile)
    {
        Directory = directory;
        Config = config;
        _tensorToFile = tensorToFile;
    }

    private Checkpoint(string directory, JambaConfig config, SafeTensorFile singleFile)
        : this(directory, config, singleFile.Tensors.ToDictionary(t => t.Name, _ => SingleFile, StringComparer.Ordinal))
    {
        _open[SingleFile] = singleFile;
    }

    public string Directory { get; }

    public JambaConfig Config { get; }

    public IEnumerable<string> TensorNames => _tensorToFile.Keys;

    /// <summary>File names (relative to <see cref="Directory"/>) of the safetensors files mapped so far.</summary>
    public IReadOnlyList<string> MappedFiles
    {
        get
        {
            lock (_openLock)
            {
                return _open.Keys.Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    public static Checkpoint Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new CheckpointException($"{directory}: model folder not found");
        }

        var config = JambaConfig.Load(Path.Combine(directory, "config.json"));
        var indexPath = Path.Combine(directory, IndexFile);
        var singlePath = Path.Combine(directory, SingleFile);
        if (File.Exists(indexPath))
        {
            return new Checkpoint(directory, config, ReadIndex(directory, indexPath));
        }

        if (File.Exists(singlePath))
        {
            // The single file's header lists its tensors, so it is mapped now and kept.
            return new Checkpoint(directory, config, SafeTensorFile.Open(singlePath));
        }

        throw new CheckpointException($"{directory}: neither {SingleFile} nor {IndexFile} found");
    }

    private static Dictionary<string, string> ReadIndex(string directory, string indexPath)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(indexPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{indexPath}: cannot read the file: {e.Message}", e);
        }

        using (var document = JsonInput.Parse(indexPath, bytes, "index"))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{indexPath}: expected a JSON object, got {document.RootElement.ValueKind}");
            }

            if (!document.RootElement.TryGetProperty("weight_map", out var weightMap)
                || weightMap.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{indexPath}: missing object 'weight_map'");
            }

            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in weightMap.EnumerateObject())
            {
                var file = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                if (file.Length == 0 || Path.GetFileName(file) != file)
                {
                    throw new CheckpointException(
                        $"{indexPath}: tensor '{entry.Name}' maps to '{entry.Value}', expected a file name in the same folder");
                }

                if (!File.Exists(Path.Combine(directory, file)))
                {
                    throw new CheckpointException($"{indexPath}: tensor '{entry.Name}' is in {file}, which is missing");
                }

                map[entry.Name] = file;
            }

            return map;
        }
    }

    public bool Contains(string name) => _tensorToFile.ContainsKey(name);

    /// <summary>The mapped file holding <paramref name="name"/>, opened on first use.</summary>
    public SafeTensorFile FileOf(string name)
    {
        if (!_tensorToFile.TryGetValue(name, out var fileName))
        {
            throw new CheckpointException($"{Directory}: tensor '{name}' not found in the checkpoint");
        }

        lock (_openLock)
        {
            if (!_open.TryGetValue(fileName, out var file))
            {
                file = SafeTensorFile.Open(Path.Combine(Directory, fileName));
                _open[fileName] = file;
            }

            if (!file.Contains(name))
            {
                throw new CheckpointException($"{file.Path}: tensor '{name}' listed in the index is not in the file");
            }

            return file;
        }
    }

    /// <summary>Maps a weight in place after checking its shape against what the config implies.</summary>
    public HostWeight Weight(string name, params long[] expectedShape)
    {
        var file = FileOf(name);
        var info = file[name];
        if (!info.Shape.SequenceEqual(expectedShape))
        {
            throw new CheckpointException(
                $"{file.Path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", expectedShape)}] from config.json");
        }

        return file.GetWeight(info);
    }

    /// <summary>A small vector (a norm weight, a bias) widened to F32.</summary>
    public float[] Vector(string name, long length) => Weight(name, length).ToFloatArray();

    public void Dispose()
    {
        lock (_openLock)
        {
            foreach (var file in _open.Values)
            {
                file.Dispose();
            }

            _open.Clear();
        }
    }
}
