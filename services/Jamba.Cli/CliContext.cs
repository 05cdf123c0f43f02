using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Jamba.Cli;

/// <summary>Where a command writes: results to <see cref="Out"/>, errors to <see cref="Error"/>, logs through <see cref="Logging"/>.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, bool interactive)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>True when <see cref="Out"/> is a terminal, so live progress displays can redraw it.</summary>
    public bool Interactive { get; } = interactive;

    /// <summary>Set once the command line is parsed, because the log level is one of its options.</summary>
    public ILoggerFactory Logging { get; set; } = NullLoggerFactory.Instance;
}
