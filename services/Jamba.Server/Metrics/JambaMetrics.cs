using System.Collections.Concurrent;
using System.Globalization;
using Jamba.Actors;
using Jamba.Actors.Hosting;
using Prometheus;

namespace Jamba.Server.Metrics;

/// <summary>
/// The service's Prometheus series. It also receives the cluster's observations as its
/// <see cref="IClusterMetrics"/>, so the actors stay free of any metrics library.
/// </summary>
public sealed class JambaMetrics : IClusterMetrics
{
    // From 1 ms to about 65 s: covers one decode step of a tiny model up to a long generation.
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.001, 2, 17);

    private readonly ConcurrentDictionary<(int Layer, int Expert), Counter.Child> _expertCounters = new();

    public JambaMetrics(CollectorRegistry registry)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);

        Requests = factory.CreateCounter(
            "jamba_http_requests_total", "HTTP requests handled, by endpoint (route template) and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "status"] });
        RequestDuration = factory.CreateHistogram(
            "jamba_http_request_duration_seconds", "Time from receiving a request to sending its last byte, by endpoint.",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = LatencyBuckets });
        TimeToFirstToken = factory.CreateHistogram(
            "jamba_time_to_first_token_seconds", "Time from receiving a completion request to its first generated token.",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        TimePerOutputToken = factory.CreateHistogram(
            "jamba_time_per_output_token_seconds", "Time between two consecutive generated tokens of one request.",
            new HistogramConfiguration { Buckets = LatencyBuckets });

        PromptTokens = factory.CreateCounter("jamba_prompt_tokens_total", "Prompt tokens received in completion requests.");
        PromptTokensComputed = factory.CreateCounter(
            "jamba_prompt_tokens_computed_total", "Prompt tokens the model ran; smaller than received when sessions reuse kept state.");
        GeneratedTokens = factory.CreateCounter("jamba_generated_tokens_total", "Tokens generated and sent to clients.");

        SequencesRunning = factory.CreateGauge("jamba_sequences_running", "Sequences in the current decoding batch.");
        SequencesQueued = factory.CreateGauge("jamba_sequences_queued", "Sequences waiting for a batch slot.");
        SessionsActive = factory.CreateGauge("jamba_sessions_active", "Sessions with state resident in the cluster.");
        SessionsPinned = factory.CreateGauge("jamba_sessions_pinned", "Pinned sessions, which are never passivated.");
        SessionStateBytes = factory.CreateGauge("jamba_session_state_bytes", "Bytes of resident session state (KV caches, conv and SSM states).");

        ExpertRoutedTokens = factory.CreateCounter(
            "jamba_expert_tokens_total", "Token rows the router sent to each expert of each MoE layer.",
            new CounterConfiguration { LabelNames = ["layer", "expert"] });
        LayerGroupDuration = factory.CreateHistogram(
            "jamba_layer_group_duration_seconds", "Time a layer group spent on one batch, by layer range.",
            new HistogramConfiguration { LabelNames = ["group"], Buckets = LatencyBuckets });

        ClusterMembers = factory.CreateGauge(
            "jamba_cluster_members", "Cluster members as this node sees them, by role and member status.",
            new GaugeConfiguration { LabelNames = ["role", "status"] });
        ClusterReady = factory.CreateGauge("jamba_cluster_ready", "1 when every layer range and expert is placed and loaded, else 0.");
    }

    public Counter Requests { get; }

    public Histogram RequestDuration { get; }

    public Histogram TimeToFirstToken { get; }

    public Histogram TimePerOutputToken { get; }

    public Counter PromptTokens { get; }

    public Counter PromptTokensComputed { get; }

    public Counter GeneratedTokens { get; }

    public Gauge SequencesRunning { get; }

    public Gauge SequencesQueued { get; }

    public Gauge SessionsActive { get; }

    public Gauge SessionsPinned { get; }

    public Gauge SessionStateBytes { get; }

    public Counter ExpertRoutedTokens { get; }

    public Histogram LayerGroupDuration { get; }

    public Gauge ClusterMembers { get; }

    public Gauge ClusterReady { get; }

    public void ExpertTokens(int layer, int expert, int tokens)
    {
        var counter = _expertCounters.GetOrAdd(
            (layer, expert),
            key => ExpertRoutedTokens.WithLabels(key.Layer.ToString(CultureInfo.InvariantCulture), key.Expert.ToString(CultureInfo.InvariantCulture)));
        counter.Inc(tokens);
    }

    public void LayerGroupTime(string group, TimeSpan elapsed) =>
        LayerGroupDuration.WithLabels(group).Observe(elapsed.TotalSeconds);

    public void Sequences(int running, int queued)
    {
        SequencesRunning.Set(running);
        SequencesQueued.Set(queued);
    }

    public void Sessions(int active, int pinned, long stateBytes)
    {
        SessionsActive.Set(active);
        SessionsPinned.Set(pinned);
        SessionStateBytes.Set(stateBytes);
    }

    /// <summary>Replaces the membership series with the counts in the status; members with several roles count once per role.</summary>
    public void ObserveCluster(ClusterStatus status)
    {
        var counts = status.Members
            .SelectMany(member => member.Roles.Select(role => (Role: role, member.Status)))
            .GroupBy(pair => pair)
            .ToDictionary(group => group.Key, group => group.Count());

        foreach (var labels in ClusterMembers.GetAllLabelValues().ToList())
        {
            if (!counts.ContainsKey((labels[0], labels[1])))
            {
                ClusterMembers.RemoveLabelled(labels);
            }
        }

        foreach (var ((role, memberStatus), count) in counts)
        {
            ClusterMembers.WithLabels(role, memberStatus).Set(count);
        }

        ClusterReady.Set(status.Ready ? 1 : 0);
    }
}
