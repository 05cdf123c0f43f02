using System.Globalization;
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

        var configPath = Path.Combine(directory, "config.json");
        var config = JambaConfig.Load(configPath);
        var indexPath = Path.Combine(directory, IndexFile);
        var singlePath = Path.Combine(directory, SingleFile);
        Checkpoint checkpoint;
        if (File.Exists(indexPath))
        {
            checkpoint = new Checkpoint(directory, config, ReadIndex(directory, indexPath));
        }
        else if (File.Exists(singlePath))
        {
            // The single file's header lists its tensors, so it is mapped now and kept.
            checkpoint = new Checkpoint(directory, config, SafeTensorFile.Open(singlePath));
        }
        else
        {
            throw new CheckpointException($"{directory}: neither {SingleFile} nor {IndexFile} found");
        }

        try
        {
            CheckLayerCount(configPath, config, checkpoint.TensorNames);
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Compares num_hidden_layers with the layers the tensors cover, before anything sized by the
    /// config is allocated, so a wrong count fails with one message instead of a missing tensor.
    /// </summary>
    private static void CheckLayerCount(string configPath, JambaConfig config, IEnumerable<string> tensorNames)
    {
        const string prefix = "model.layers.";
        var lastLayer = -1;
        foreach (var name in tensorNames)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var digits = name.AsSpan(prefix.Length);
            var dot = digits.IndexOf('.');
            if (dot > 0 && int.TryParse(digits[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var layer))
            {
                lastLayer = Math.Max(lastLayer, layer);
            }
        }

        if (lastLayer + 1 != config.NumHiddenLayers)
        {
            throw new CheckpointException(
                $"{configPath}: field 'num_hidden_layers' is {config.NumHiddenLayers}, but the checkpoint has tensors for {lastLayer + 1} layers");
        }
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
