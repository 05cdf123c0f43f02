using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Jamba.Actors.Experts;
using Jamba.Actors.LayerGroups;
using Jamba.Actors.Sequences;
using Jamba.Actors.Wire;

namespace Jamba.Actors.Tests;

/// <summary>The MessagePack wire format, through the serializer Akka.NET picks from the node's HOCON binding.</summary>
public sealed class WireSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire", ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers { jamba-wire = "{{typeof(WireSerializer).FullName}}, Jamba.Actors" }
          serialization-bindings { "{{typeof(IWireMessage).FullName}}, Jamba.Actors" = jamba-wire }
        }
        akka.loglevel = OFF
        akka.stdout-loglevel = OFF
        """));

    public static TheoryData<IWireMessage> Messages => new()
    {
        new ForwardBatch("0-3", 7, [new BatchEntry("s1", 3, true), new BatchEntry("s2", 1, false)], [1, 2, 3, 4], null),
        new BatchForwarded("4-7", 7, Tensor.FromSingles([1.5f, -2f, 3.25f, 0f], 2, 2), true, [128, 256]),
        new ApplyExpert(3, 1, 9, Tensor.FromSingles([0.1f, 0.2f, 0.3f], 1, 3)),
        new SlotSnapshot("0-3", "s1", [0, 1], [[1, 2], [3]]),
        new StartGeneration("s1", "r1", [5, 6], new WireSampling(0.7f, 40, 0.9f, 42), 16, true, 2),
        new TokenGenerated("r1", 12, -0.5f, [12, 3], [-0.5f, -1.25f], 4, "length"),
        new GenerationRejected("r1", RejectionKind.QueueFull, "full", 64),
        new SessionReply("s1", true, 10, 4096, "akka.tcp://jamba@127.0.0.1:1"),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Message_round_trips(IWireMessage message)
    {
        var serializer = (WireSerializer)_system.Serialization.FindSerializerFor(message);
        var manifest = serializer.Manifest(message);

        var copy = serializer.FromBinary(serializer.ToBinary(message), manifest);

        Assert.Equal(Describe(message), Describe(copy));
    }

    [Fact]
    public void Every_registered_type_has_versioned_manifest()
    {
        var manifests = WireCatalog.Types.Select(WireCatalog.ManifestOf).ToList();

        Assert.All(manifests, m => Assert.Matches(@"^[a-z-]+@\d+$", m));
        Assert.Equal(manifests.Count, manifests.Distinct().Count());
        var messageTypes = typeof(IWireMessage).Assembly.GetTypes()
            .Where(t => typeof(IWireMessage).IsAssignableFrom(t) && !t.IsInterface);
        Assert.All(messageTypes, t => Assert.Contains(t, WireCatalog.Types));
    }

    [Fact]
    public void Activations_travel_as_raw_bytes()
    {
        var values = Enumerable.Range(0, 1000).Select(i => i * 0.001f).ToArray();
        var message = new ApplyExpert(1, 2, 3, Tensor.FromSingles(values, 10, 100));
        var serializer = (WireSerializer)_system.Serialization.FindSerializerFor(message);

        var bytes = serializer.ToBinary(message);

        // 4000 bytes of F32 plus a few bytes of framing; a per-element encoding would need 5000.
        Assert.InRange(bytes.Length, 4000, 4032);
        var copy = (ApplyExpert)serializer.FromBinary(bytes, serializer.Manifest(message));
        Assert.Equal(values, copy.Rows.ToSingles());
    }

    [Fact]
    public void Other_version_is_rejected()
    {
        var serializer = (WireSerializer)_system.Serialization.FindSerializerFor(new GetSession("s1"));
        var bytes = serializer.ToBinary(new GetSession("s1"));

        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "session-get@2"));

        Assert.Contains("version 2", error.Message);
        Assert.Contains("reads version 1", error.Message);
    }

    [Fact]
    public void Unknown_type_is_rejected()
    {
        var serializer = (WireSerializer)_system.Serialization.FindSerializerFor(new GetSession("s1"));

        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary([0x90], "session-rename@1"));

        Assert.Contains("'session-rename'", error.Message);
    }

    [Fact]
    public void Malformed_tensor_is_rejected()
    {
        var tensor = new Tensor(2, 2, new byte[15]);

        var error = Assert.Throws<InvalidDataException>(() => tensor.ToSingles());

        Assert.Contains("[2, 2]", error.Message);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    // Records with arrays compare arrays by reference, so messages are compared through their MessagePack form.
    private static string Describe(object message) =>
        MessagePack.MessagePackSerializer.ConvertToJson(MessagePack.MessagePackSerializer.Serialize(message.GetType(), message)) +
        message.GetType().Name;
}
