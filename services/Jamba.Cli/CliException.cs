namespace Jamba.Cli;

/// <summary>A failure the user can fix, reported as one line on stderr with exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);
