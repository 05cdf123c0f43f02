using System.Text.Json.Nodes;

namespace Jamba.Engine.Tests;

/// <summary>A copy of a fixture checkpoint in a temporary folder, to break in one place; deleted on dispose.</summary>
public sealed class TempCheckpoint : IDisposable
{
    private TempCheckpoint(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public static TempCheckpoint CopyOf(string fixture)
    {
        var directory = Path.Combine(Path.GetTempPath(), "jamba-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        foreach (var file in System.IO.Directory.GetFiles(fixture))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        return new TempCheckpoint(directory);
    }

    public string PathOf(string file) => Path.Combine(Directory, file);

    /// <summary>Parses config.json, lets <paramref name="edit"/> change it and writes it back.</summary>
    public void EditConfig(Action<JsonObject> edit)
    {
        var path = PathOf("config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    /// <summary>Rewrites a safetensors file of the copy with the tensor list that <paramref name="edit"/> returns.</summary>
    public void EditTensors(string file, Func<List<TensorEntry>, IReadOnlyList<TensorEntry>> edit)
    {
        var path = PathOf(file);
        var edited = edit(SafeTensorFiles.ReadAll(path));
        SafeTensorFiles.Write(path, edited);
    }

    /// <summary>Replaces one tensor, keeping the others and their order.</summary>
    public void ReplaceTensor(string file, TensorEntry replacement) =>
        EditTensors(file, tensors =>
        {
            var index = tensors.FindIndex(t => t.Name == replacement.Name);
            Assert.True(index >= 0, $"{file} has no tensor '{replacement.Name}'");
            tensors[index] = replacement;
            return tensors;
        });

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A mapped file still open elsewhere can block deletion; the OS temp cleanup gets it later.
        }
    }
}
