using MessagePack;

namespace Jamba.Actors.Sequences;

/// <summary>
/// A session as <see cref="IInferenceCluster"/> exports it: the token history, how much of it the
/// state has seen, and the state of every layer as its own <c>SequenceState</c> snapshot, so a
/// snapshot taken under one layer split restores under another.
/// </summary>
[MessagePackObject]
public sealed record SessionSnapshot(
    [property: Key(0)] int FormatVersion,
    [property: Key(1)] int[] Tokens,
    [property: Key(2)] int Computed,
    [property: Key(3)] int[] Layers,
    [property: Key(4)] byte[][] States)
{
    public const int CurrentFormatVersion = 1;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public byte[] ToBytes() => MessagePackSerializer.Serialize(this, Options);

    public static SessionSnapshot FromBytes(byte[] bytes)
    {
        SessionSnapshot snapshot;
        try
        {
            snapshot = MessagePackSerializer.Deserialize<SessionSnapshot>(bytes, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException($"not a session snapshot: {e.Message}", e);
        }

        if (snapshot.FormatVersion != CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"session snapshot format version {snapshot.FormatVersion}, this build reads {CurrentFormatVersion}");
        }

        if (snapshot.Computed < 0 || snapshot.Computed > snapshot.Tokens.Length || snapshot.Layers.Length != snapshot.States.Length)
        {
            throw new InvalidDataException("session snapshot is inconsistent (computed tokens or layer count)");
        }

        return snapshot;
    }
}
