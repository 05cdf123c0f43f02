using System.Diagnostics;
using Jamba.Server.Metrics;

namespace Jamba.Server.Generation;

/// <summary>Observes time to first token and the time between tokens of one request.</summary>
public sealed class TokenTiming(JambaMetrics metrics)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _lastToken;

    public void FirstToken()
    {
        _lastToken = Stopwatch.GetTimestamp();
        metrics.TimeToFirstToken.Observe(Stopwatch.GetElapsedTime(_started, _lastToken).TotalSeconds);
    }

    public void NextToken()
    {
        var now = Stopwatch.GetTimestamp();
        metrics.TimePerOutputToken.Observe(Stopwatch.GetElapsedTime(_lastToken, now).TotalSeconds);
        _lastToken = now;
    }
}
