using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using Jamba.Cli.Commands;
using Jamba.Engine;
using Jamba.Engine.Loading;
using Microsoft.Extensions.Logging;

namespace Jamba.Cli;

/// <summary>The <c>jamba</c> command: inspect, run and benchmark Jamba checkpoints on this machine.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The first Ctrl+C (or SIGTERM) cancels the running command, which stops at its next token. A second
        // one is left to the runtime's default handling, which ends the process at once.
        using var cancellation = new CancellationTokenSource();
        void Cancel(PosixSignalContext signal)
        {
            if (!cancellation.IsCancellationRequested)
            {
                signal.Cancel = true;
                cancellation.Cancel();
            }
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        return await RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected, cancellation.Token);
    }

    /// <summary>
    /// Parses and runs one command line, writing results to <paramref name="stdout"/> and each error as
    /// one line to <paramref name="stderr"/>. Returns the exit code (see <see cref="ExitCodes"/>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        bool interactive = false, CancellationToken cancellationToken = default)
    {
        var context = new CliContext(stdout, stderr, interactive);
        var logLevel = CommonOptions.LogLevel();
        var root = new RootCommand("Run Jamba hybrid Transformer-Mamba-MoE models on the CPU")
        {
            InspectCommand.Create(context),
            LogitsCommand.Create(context),
            BenchCommand.Create(context),
            GenerateCommand.Create(context),
            InitCommand.Create(context),
        };
        root.Options.Add(logLevel);
        root.SetAction(async (_, _) =>
        {
            await stderr.WriteLineAsync("error: no command given; run 'jamba --help' to list the commands");
            return ExitCodes.Usage;
        });

        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}");
            }

            return ExitCodes.Usage;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(parseResult.GetValue(logLevel))
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        context.Logging = loggerFactory;
        var logger = loggerFactory.CreateLogger("Jamba.Cli");

        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,

            // Main handles the signals, so that an in-process caller keeps its own Ctrl+C handling.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parseResult.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception e) when (IsUserError(e))
        {
            logger.LogDebug(e, "Command failed");
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            // A bug, not bad input: still one line by default; --log-level Debug shows the stack trace.
            logger.LogDebug(e, "Command failed unexpectedly");
            await stderr.WriteLineAsync($"error: unexpected {e.GetType().Name}: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Failures caused by the input (model folder, token ids, output path) rather than by a bug.</summary>
    private static bool IsUserError(Exception e) => e
        is CliException
        or CheckpointException
        or InvalidTokenException
        or InvalidDataException
        or IOException
        or UnauthorizedAccessException;
}
