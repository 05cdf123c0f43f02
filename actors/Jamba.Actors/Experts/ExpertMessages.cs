using Jamba.Actors.Wire;
using MessagePack;

namespace Jamba.Actors.Experts;

/// <summary>The rows [n, hidden] routed to one expert in one step: already normed and gathered.</summary>
[MessagePackObject]
public sealed record ApplyExpert(
    [property: Key(0)] int Layer,
    [property: Key(1)] int Expert,
    [property: Key(2)] long StepId,
    [property: Key(3)] Tensor Rows) : IWireMessage
{
    [IgnoreMember]
    public string EntityId => ExpertIds.EntityId(Layer, Expert);
}

/// <summary>The expert's output for the rows of <see cref="ApplyExpert"/>, in the same order.</summary>
[MessagePackObject]
public sealed record ExpertApplied(
    [property: Key(0)] int Layer,
    [property: Key(1)] int Expert,
    [property: Key(2)] long StepId,
    [property: Key(3)] Tensor Output) : IWireMessage;

[MessagePackObject]
public sealed record ExpertFailed(
    [property: Key(0)] int Layer,
    [property: Key(1)] int Expert,
    [property: Key(2)] long StepId,
    [property: Key(3)] string Error) : IWireMessage;

public static class ExpertIds
{
    public static string EntityId(int layer, int expert) => $"{layer}/{expert}";

    public static bool TryParse(string entityId, out int layer, out int expert)
    {
        layer = expert = -1;
        var parts = entityId.Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], out layer) && int.TryParse(parts[1], out expert);
    }
}
