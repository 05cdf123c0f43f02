using Akka.Actor;
using Jamba.Actors.Hosting;

namespace Jamba.Actors.Sequences;

/// <summary>Counts the live sessions of this node and their state bytes for the metrics.</summary>
public sealed class SessionTrackerActor : ReceiveActor
{
    private readonly Dictionary<string, SessionTracked> _sessions = new();

    public SessionTrackerActor(IClusterMetrics metrics)
    {
        Receive<SessionTracked>(m =>
        {
            _sessions[m.SessionId] = m;
            Report(metrics);
        });
        Receive<SessionUntracked>(m =>
        {
            _sessions.Remove(m.SessionId);
            Report(metrics);
        });
    }

    private void Report(IClusterMetrics metrics) =>
        metrics.Sessions(_sessions.Count, _sessions.Values.Count(s => s.Pinned), _sessions.Values.Sum(s => s.StateBytes));
}

public sealed record SessionTracked(string SessionId, bool Pinned, long StateBytes);

public sealed record SessionUntracked(string SessionId);
