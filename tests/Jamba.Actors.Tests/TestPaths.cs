using Jamba.Engine.Loading;

namespace Jamba.Actors.Tests;

/// <summary>Paths to the fixture checkpoints and their golden outputs.</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string TinyMoe => Path.Combine(RepositoryRoot, "tests", "fixtures", "tiny-moe");

    public static SafeTensorFile OpenGolden(string checkpoint) => SafeTensorFile.Open(Path.Combine(checkpoint, "golden.safetensors"));

    public static float Tolerance(string checkpoint)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "golden.json")));
        return (float)json.RootElement.GetProperty("tolerance_abs").GetDouble();
    }

    public static int[] ToInts(long[] values) => values.Select(v => checked((int)v)).ToArray();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Jamba.Cluster.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Jamba.Cluster.sln not found above the test folder");
    }
}
