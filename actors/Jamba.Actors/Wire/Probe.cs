using MessagePack;

namespace Jamba.Actors.Wire;

/// <summary>Asks an entity (layer group or expert) whether its weights are loaded; the reply is <see cref="Loaded"/>.</summary>
[MessagePackObject]
public sealed record ProbeLoaded([property: Key(0)] string EntityId) : IWireMessage;

[MessagePackObject]
public sealed record Loaded([property: Key(0)] string EntityId, [property: Key(1)] string Node) : IWireMessage;
