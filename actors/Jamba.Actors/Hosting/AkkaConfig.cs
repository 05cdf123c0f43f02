using System.Text;
using Akka.Configuration;
using Jamba.Actors.Wire;

namespace Jamba.Actors.Hosting;

/// <summary>The HOCON of a cluster node: remoting on the node's address, the cluster, sharding and the wire serializer.</summary>
internal static class AkkaConfig
{
    // Frames carry a batch's activations or a whole layer's state snapshot; Akka's default is 128 kB.
    // NOTE: a session snapshot of one layer group larger than this cannot be exported across nodes.
    private const long MaxFrameBytes = 64L * 1024 * 1024;

    /// <param name="withLogger">
    /// Whether to route Akka's log events through <see cref="AkkaLoggerBridge"/>; a host that configures
    /// Akka's loggers itself (Akka.Hosting) leaves them out.
    /// </param>
    public static Config Build(ClusterNodeOptions options, bool withLogger = true)
    {
        var roles = string.Join(", ", options.Roles.Select(Quote));
        var hocon = new StringBuilder();
        hocon.AppendLine(options.AkkaConfig ?? "");
        hocon.AppendLine($$"""
            akka {
              loglevel = INFO
              stdout-loglevel = WARNING
              {{(withLogger ? $"loggers = [\"{typeof(AkkaLoggerBridge).AssemblyQualifiedShortName()}\"]" : "")}}
              actor {
                provider = cluster
                serializers { jamba-wire = "{{typeof(WireSerializer).AssemblyQualifiedShortName()}}" }
                serialization-bindings { "{{typeof(IWireMessage).AssemblyQualifiedShortName()}}" = jamba-wire }
              }
              remote.dot-netty.tcp {
                hostname = {{Quote(options.Hostname)}}
                port = {{options.Port}}
                maximum-frame-size = {{MaxFrameBytes}}b
                send-buffer-size = {{MaxFrameBytes}}b
                receive-buffer-size = {{MaxFrameBytes}}b
              }
              cluster {
                roles = [{{roles}}]
                sharding {
                  passivate-idle-entity-after = off
                  remember-entities = off
                }
              }
            }
            """);
        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string AssemblyQualifiedShortName(this Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}
