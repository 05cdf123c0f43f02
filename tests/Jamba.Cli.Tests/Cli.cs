namespace Jamba.Cli.Tests;

/// <summary>The output of one in-process run of the <c>jamba</c> command.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>Runs <c>jamba</c> in-process and finds the repository's checkpoints.</summary>
public static class Cli
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string TinyMoe => Path.Combine(RepositoryRoot, "tests", "fixtures", "tiny-moe");

    public static string Kjv => Path.Combine(RepositoryRoot, "models", "jamba-tiny-kjv");

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None);

    public static async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await Program.RunAsync(args, output, error, cancellationToken: cancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public static float Tolerance(string checkpoint)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "golden.json")));
        return (float)json.RootElement.GetProperty("tolerance_abs").GetDouble();
    }

    /// <summary>A fresh empty folder under the system temp folder, removed when disposed.</summary>
    public static TempFolder CreateTempFolder() => new();

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

public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("jamba-cli-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
