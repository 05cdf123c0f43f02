namespace Jamba.Cli;

/// <summary>Finds the model folder: the one given with --model, or else the bundled demo model.</summary>
public static class ModelLocator
{
    public const string BundledModel = "models/jamba-tiny-kjv";

    /// <summary>
    /// Returns <paramref name="option"/> when set. Otherwise looks for models/jamba-tiny-kjv in each
    /// folder above the current directory (the repository root contains it), then above the executable,
    /// so that <c>dotnet run</c> from inside the repository and a build run from elsewhere both find it.
    /// </summary>
    public static string Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option;
        }

        var starts = new[] { Environment.CurrentDirectory, AppContext.BaseDirectory };
        foreach (var start in starts)
        {
            if (FindBundled(start) is { } found)
            {
                return found;
            }
        }

        throw new CliException(
            $"no --model given and {BundledModel} was not found above {string.Join(" or ", starts)}; pass --model DIR");
    }

    private static string? FindBundled(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, BundledModel);
            if (File.Exists(Path.Combine(candidate, "config.json")))
            {
                return Path.GetRelativePath(Environment.CurrentDirectory, candidate);
            }
        }

        return null;
    }
}
