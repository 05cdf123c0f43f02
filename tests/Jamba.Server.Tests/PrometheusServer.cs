using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Jamba.Server.Tests;

/// <summary>
/// A real Prometheus from Debian's package, installed with apt-get when missing. It runs on a free
/// loopback port with a temporary configuration and storage folder and scrapes one target every second.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _directory;

    private PrometheusServer(Process process, string directory, Uri baseAddress)
    {
        _process = process;
        _directory = directory;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public HttpClient Client { get; }

    public static async Task<PrometheusServer> StartAsync(Uri target)
    {
        var binary = await EnsureInstalledAsync();
        var directory = Directory.CreateTempSubdirectory("jamba-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: jamba
                static_configs:
                  - targets: ["{target.Authority}"]
            """);

        var address = $"127.0.0.1:{ServerProcess.FreeTcpPort()}";
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address={address}" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{binary} could not be started");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var prometheus = new PrometheusServer(process, directory, new Uri($"http://{address}"));
        try
        {
            await prometheus.WaitUntilReadyAsync();
        }
        catch
        {
            await prometheus.DisposeAsync();
            throw;
        }

        return prometheus;
    }

    /// <summary>Runs an instant query and returns the value of its first sample, or null when the result is empty.</summary>
    public async Task<double?> QueryAsync(string query)
    {
        var json = JsonNode.Parse(await Client.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"))!;
        Assert.Equal("success", json["status"]!.GetValue<string>());

        var result = json["data"]!["result"]!.AsArray();
        if (result.Count == 0)
        {
            return null;
        }

        return double.Parse(result[0]!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A storage file still held open is left for the system's temp cleanup.
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode} before it was ready");
            }

            try
            {
                using var response = await Client.GetAsync("/-/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"prometheus was not ready within {ReadyTimeout.TotalSeconds} s");
    }

    /// <summary>Returns the prometheus binary, running deploy/install-prometheus.sh first when it is not on the PATH.</summary>
    private static async Task<string> EnsureInstalledAsync()
    {
        if (FindOnPath("prometheus") is { } found)
        {
            return found;
        }

        var script = Path.Combine(ServerProcess.RepositoryRoot, "deploy", "install-prometheus.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        using var install = Process.Start(start) ?? throw new InvalidOperationException($"{script} could not be started");
        var output = install.StandardOutput.ReadToEndAsync();
        var errors = install.StandardError.ReadToEndAsync();

        using var timeout = new CancellationTokenSource(InstallTimeout);
        try
        {
            await install.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            install.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within {InstallTimeout.TotalMinutes} minutes");
        }

        if (install.ExitCode != 0 || FindOnPath("prometheus") is not { } installed)
        {
            throw new InvalidOperationException($"{script} failed with code {install.ExitCode}:\n{await output}\n{await errors}");
        }

        return installed;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
