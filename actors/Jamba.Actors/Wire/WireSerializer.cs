using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;
using MessagePack;

namespace Jamba.Actors.Wire;

/// <summary>
/// The Akka.NET serializer of every <see cref="IWireMessage"/>: MessagePack bodies with the message's
/// name and version in the manifest. Tensors inside are raw byte blobs, so activations cost their size.
/// </summary>
public sealed class WireSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer id in HOCON; Akka reserves 0 to 100 for its own.</summary>
    public const int Id = 4711;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    // Serializers are built while the actor system starts, before its logging can be used.
    private readonly Lazy<ILoggingAdapter> _log;

    public WireSerializer(ExtendedActorSystem system)
        : base(system)
    {
        _log = new Lazy<ILoggingAdapter>(() => Logging.GetLogger(system, typeof(WireSerializer)));
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => WireCatalog.ManifestOf(o.GetType());

    public override byte[] ToBinary(object obj) => MessagePackSerializer.Serialize(obj.GetType(), obj, Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = WireCatalog.Resolve(manifest, out var error);
        if (error is not null)
        {
            _log.Value.Error("Rejected a message from another node: {0}", error);
            throw new SerializationException(error);
        }

        try
        {
            return MessagePackSerializer.Deserialize(type, bytes, Options)
                ?? throw new SerializationException($"message '{manifest}' decoded to null");
        }
        catch (MessagePackSerializationException e)
        {
            _log.Value.Error(e, "Rejected a malformed '{0}' message of {1} bytes", manifest, bytes.Length);
            throw new SerializationException($"message '{manifest}' is malformed: {e.Message}", e);
        }
    }
}
