using Jamba.Actors;
using Jamba.Server.Metrics;
using Prometheus;

namespace Jamba.Server.Tests;

public sealed class JambaMetricsTests
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();

    private async Task<string> ExportAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task ClusterObservationsBecomeSeries()
    {
        var metrics = new JambaMetrics(_registry);

        metrics.ExpertTokens(layer: 1, expert: 3, tokens: 5);
        metrics.ExpertTokens(layer: 1, expert: 3, tokens: 2);
        metrics.LayerGroupTime("0-3", TimeSpan.FromMilliseconds(20));
        metrics.Sequences(running: 2, queued: 1);
        metrics.Sessions(active: 4, pinned: 1, stateBytes: 1000);
        var text = await ExportAsync();

        Assert.Contains("jamba_expert_tokens_total{layer=\"1\",expert=\"3\"} 7", text);
        Assert.Contains("jamba_layer_group_duration_seconds_count{group=\"0-3\"} 1", text);
        Assert.Contains("jamba_sequences_running 2", text);
        Assert.Contains("jamba_sequences_queued 1", text);
        Assert.Contains("jamba_sessions_active 4", text);
        Assert.Contains("jamba_sessions_pinned 1", text);
        Assert.Contains("jamba_session_state_bytes 1000", text);
    }

    [Fact]
    public async Task MembershipCountsRolesAndDropsGoneSeries()
    {
        var metrics = new JambaMetrics(_registry);
        MemberStatus Member(string address, string status, params string[] roles) => new(address, status, roles);

        metrics.ObserveCluster(new ClusterStatus(true, false,
            [Member("a", "Up", "layers", "experts"), Member("b", "Up", "experts"), Member("c", "Joining", "sessions")], ["expert 1/2"]));
        var first = await ExportAsync();

        Assert.Contains("jamba_cluster_members{role=\"experts\",status=\"Up\"} 2", first);
        Assert.Contains("jamba_cluster_members{role=\"layers\",status=\"Up\"} 1", first);
        Assert.Contains("jamba_cluster_members{role=\"sessions\",status=\"Joining\"} 1", first);
        Assert.Contains("jamba_cluster_ready 0", first);

        metrics.ObserveCluster(new ClusterStatus(true, true, [Member("a", "Up", "layers", "experts", "sessions")], []));
        var second = await ExportAsync();

        Assert.DoesNotContain("status=\"Joining\"", second);
        Assert.Contains("jamba_cluster_members{role=\"experts\",status=\"Up\"} 1", second);
        Assert.Contains("jamba_cluster_ready 1", second);
    }

    [Fact]
    public async Task NamesFollowPrometheusConventions()
    {
        _ = new JambaMetrics(_registry);
        var text = await ExportAsync();
        var names = text.Split('\n')
            .Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(line => line.Split(' '))
            .ToList();

        Assert.NotEmpty(names);
        foreach (var parts in names)
        {
            var (name, type) = (parts[2], parts[3]);
            Assert.StartsWith("jamba_", name);
            if (type == "counter")
            {
                Assert.EndsWith("_total", name);
            }

            if (type == "histogram")
            {
                Assert.EndsWith("_seconds", name);
            }
        }
    }
}
