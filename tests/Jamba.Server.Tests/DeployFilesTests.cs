using System.Text.Json;
using System.Text.RegularExpressions;
using Jamba.Server.Metrics;

namespace Jamba.Server.Tests;

public sealed partial class DeployFilesTests
{
    [Fact]
    public async Task DashboardUsesOnlyServedSeries()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new JambaMetrics(registry);
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var served = System.Text.Encoding.UTF8.GetString(stream.ToArray())
            .Split('\n')
            .Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[2])
            .ToHashSet();

        var path = Path.Combine(ServerProcess.RepositoryRoot, "deploy", "grafana", "jamba-dashboard.json");
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!)
            .ToList();

        Assert.NotEmpty(expressions);
        var used = expressions.SelectMany(expression => SeriesName().Matches(expression).Select(match => match.Value)).ToHashSet();
        foreach (var name in used)
        {
            var metric = HistogramSuffix().Replace(name, "");
            Assert.True(served.Contains(metric), $"the dashboard queries {name}, which the server does not export");
        }

        var unused = served.Except(used.Select(name => HistogramSuffix().Replace(name, ""))).ToList();
        Assert.True(unused.Count == 0, $"the dashboard shows no panel for {string.Join(", ", unused)}");
    }

    [Fact]
    public void ScrapeConfigTargetsDefaultPort()
    {
        var text = File.ReadAllText(Path.Combine(ServerProcess.RepositoryRoot, "deploy", "prometheus.yml"));

        Assert.Contains("job_name: jamba", text);
        Assert.Contains("127.0.0.1:8000", text);
        Assert.Contains("metrics_path: /metrics", text);
    }

    [GeneratedRegex(@"\bjamba_[a-z_]+")]
    private static partial Regex SeriesName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
