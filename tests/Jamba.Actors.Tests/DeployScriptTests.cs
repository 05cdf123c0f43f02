using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Jamba.Actors.Tests;

/// <summary>deploy/three-nodes.sh: three server processes, one per role set, joined over loopback.</summary>
public sealed class DeployScriptTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Three_processes_generate_same_text()
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = TestPaths.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "deploy", "three-nodes.sh"));
        start.Environment["JAMBA_SERVER_DLL"] = ServerDll();
        var ports = FreePorts(6);
        start.Environment["HTTP_PORTS"] = string.Join(' ', ports[..3]);
        start.Environment["AKKA_PORTS"] = string.Join(' ', ports[3..]);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash could not be started");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"deploy/three-nodes.sh did not finish in {ScriptTimeout}:\n{await output}\n{await errors}");
        }

        var log = $"{await output}\n{await errors}";
        Assert.True(process.ExitCode == 0, $"deploy/three-nodes.sh exited with {process.ExitCode}:\n{log}");
        Assert.Contains("three-nodes: cluster ready", log);
        Assert.Contains("both nodes generated the same text", log);
    }

    // The server project is a build dependency of this test project, built in the same configuration.
    private static string ServerDll()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var dll = Path.Combine(TestPaths.RepositoryRoot, "services", "Jamba.Server", "bin", configuration, framework.Name, "Jamba.Server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"the server is not built: {dll} is missing", dll);
    }

    // Listeners stay open until all ports are chosen, so the ports differ.
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(listener => listener.Start());
        var ports = listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToArray();
        listeners.ForEach(listener => listener.Stop());
        return ports;
    }
}
