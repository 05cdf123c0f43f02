using Jamba.Actors.Wire;
using MessagePack;

namespace Jamba.Actors.LayerGroups;

/// <summary>Creates the state slot of a sequence in a layer group; the reply is <see cref="SlotReserved"/>.</summary>
[MessagePackObject]
public sealed record ReserveSlot([property: Key(0)] string Group, [property: Key(1)] string SequenceId) : IWireMessage;

/// <summary>A slot is ready: its size and the position (tokens seen) of the state in it.</summary>
[MessagePackObject]
public sealed record SlotReserved(
    [property: Key(0)] string Group,
    [property: Key(1)] string SequenceId,
    [property: Key(2)] long StateBytes,
    [property: Key(3)] int Position) : IWireMessage;

/// <summary>Drops the state slot of a sequence; a missing slot is not an error.</summary>
[MessagePackObject]
public sealed record FreeSlot([property: Key(0)] string Group, [property: Key(1)] string SequenceId) : IWireMessage;

/// <summary>The rows one sequence contributes to a batch step.</summary>
[MessagePackObject]
public sealed record BatchEntry(
    [property: Key(0)] string SequenceId,
    [property: Key(1)] int Tokens,
    [property: Key(2)] bool NeedsLogits);

/// <summary>
/// One step of the batch through a layer group. The first group gets token ids, and the others get
/// the hidden rows [sum of Tokens, hidden] of the group before. The group with the head returns
/// logits for the last row of each entry that needs them, and the others return their hidden rows.
/// </summary>
[MessagePackObject]
public sealed record ForwardBatch(
    [property: Key(0)] string Group,
    [property: Key(1)] long StepId,
    [property: Key(2)] BatchEntry[] Entries,
    [property: Key(3)] int[]? TokenIds,
    [property: Key(4)] Tensor? Hidden) : IWireMessage;

/// <summary>The output of a step: hidden rows, or logits [entries needing logits, vocab] from the last group.</summary>
/// <param name="StateBytes">Bytes of each entry's state slot in this group after the step.</param>
[MessagePackObject]
public sealed record BatchForwarded(
    [property: Key(0)] string Group,
    [property: Key(1)] long StepId,
    [property: Key(2)] Tensor Output,
    [property: Key(3)] bool IsLogits,
    [property: Key(4)] long[] StateBytes) : IWireMessage;

[MessagePackObject]
public sealed record BatchFailed(
    [property: Key(0)] string Group,
    [property: Key(1)] long StepId,
    [property: Key(2)] string Error) : IWireMessage;

/// <summary>Asks for a byte-exact copy of a sequence's state in this group, one snapshot per layer.</summary>
[MessagePackObject]
public sealed record SnapshotSlot([property: Key(0)] string Group, [property: Key(1)] string SequenceId) : IWireMessage;

/// <summary>
/// Per-layer snapshots: each entry of <paramref name="States"/> is a <c>SequenceState</c> snapshot whose
/// only non-empty layer is the one named at the same index of <paramref name="Layers"/>, so a
/// snapshot taken under one layer split restores under another.
/// </summary>
[MessagePackObject]
public sealed record SlotSnapshot(
    [property: Key(0)] string Group,
    [property: Key(1)] string SequenceId,
    [property: Key(2)] int[] Layers,
    [property: Key(3)] byte[][] States) : IWireMessage;

/// <summary>Replaces (or creates) a sequence's slot from per-layer snapshots; the reply is <see cref="SlotReserved"/>.</summary>
[MessagePackObject]
public sealed record RestoreSlot(
    [property: Key(0)] string Group,
    [property: Key(1)] string SequenceId,
    [property: Key(2)] int[] Layers,
    [property: Key(3)] byte[][] States) : IWireMessage;

/// <summary>A slot request that could not be carried out.</summary>
[MessagePackObject]
public sealed record SlotFailed(
    [property: Key(0)] string Group,
    [property: Key(1)] string SequenceId,
    [property: Key(2)] string Error) : IWireMessage;
