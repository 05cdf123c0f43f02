namespace Jamba.Server.Configuration;

/// <summary>Finds the model bundled with the repository, so a fresh clone serves without configuration.</summary>
public static class ModelLocator
{
    public static readonly string BundledModelPath = Path.Combine("models", "jamba-tiny-kjv");

    /// <summary>Returns models/jamba-tiny-kjv beside the nearest Jamba.Cluster.sln above the working or program folder, or null.</summary>
    public static string? FindBundledModel()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var model = Path.Combine(directory.FullName, BundledModelPath);
                if (File.Exists(Path.Combine(directory.FullName, "Jamba.Cluster.sln")) && Directory.Exists(model))
                {
                    return model;
                }
            }
        }

        return null;
    }
}
