namespace Jamba.Cli;

/// <summary>Process exit codes of the <c>jamba</c> command.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran and failed: a missing model, a token outside the vocabulary, an unwritable file.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is invalid: an unknown option, a missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by Ctrl+C (128 + SIGINT), as shells report it.</summary>
    public const int Cancelled = 130;
}
