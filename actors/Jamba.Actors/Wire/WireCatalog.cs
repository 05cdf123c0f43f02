using Jamba.Actors.Experts;
using Jamba.Actors.LayerGroups;
using Jamba.Actors.Sequences;

namespace Jamba.Actors.Wire;

/// <summary>
/// Every message type that crosses nodes, with its wire name and version. The manifest of a
/// serialized message is "name@version". Bump a type's version whenever its fields change, so that a
/// node of another build rejects it with a clear error instead of misreading it.
/// </summary>
public static class WireCatalog
{
    private static readonly (Type Type, string Name, int Version)[] Entries =
    [
        (typeof(ProbeLoaded), "probe", 1),
        (typeof(Loaded), "loaded", 1),

        (typeof(ReserveSlot), "slot-reserve", 1),
        (typeof(SlotReserved), "slot-reserved", 1),
        (typeof(FreeSlot), "slot-free", 1),
        (typeof(SnapshotSlot), "slot-snapshot", 1),
        (typeof(SlotSnapshot), "slot-snapshotted", 1),
        (typeof(RestoreSlot), "slot-restore", 1),
        (typeof(SlotFailed), "slot-failed", 1),
        (typeof(ForwardBatch), "batch-forward", 1),
        (typeof(BatchForwarded), "batch-forwarded", 1),
        (typeof(BatchFailed), "batch-failed", 1),

        (typeof(ApplyExpert), "expert-apply", 1),
        (typeof(ExpertApplied), "expert-applied", 1),
        (typeof(ExpertFailed), "expert-failed", 1),

        (typeof(CreateSession), "session-create", 1),
        (typeof(GetSession), "session-get", 1),
        (typeof(DeleteSession), "session-delete", 1),
        (typeof(ExportSession), "session-export", 1),
        (typeof(ImportSession), "session-import", 1),
        (typeof(SessionLimitReached), "session-limit", 1),
        (typeof(SessionReply), "session", 1),
        (typeof(SessionMissing), "session-missing", 1),
        (typeof(SessionDeleted), "session-deleted", 1),
        (typeof(SessionExported), "session-exported", 1),
        (typeof(SessionRequestFailed), "session-failed", 1),

        (typeof(StartGeneration), "generate", 1),
        (typeof(StreamStopped), "generate-stream-stopped", 1),
        (typeof(GenerationAccepted), "generate-accepted", 1),
        (typeof(GenerationRejected), "generate-rejected", 1),
        (typeof(TokenGenerated), "token", 1),
        (typeof(GenerationFailed), "generate-failed", 1),
    ];

    private static readonly Dictionary<Type, string> ManifestByType =
        Entries.ToDictionary(e => e.Type, e => Manifest(e.Name, e.Version));

    private static readonly Dictionary<string, (Type Type, int Version)> ByName =
        Entries.ToDictionary(e => e.Name, e => (e.Type, e.Version));

    public static IEnumerable<Type> Types => Entries.Select(e => e.Type);

    public static string ManifestOf(Type type) =>
        ManifestByType.TryGetValue(type, out var manifest)
            ? manifest
            : throw new ArgumentException($"{type.FullName} is not registered in {nameof(WireCatalog)}", nameof(type));

    /// <summary>Finds the type of a manifest, or explains why this build cannot read it.</summary>
    public static Type Resolve(string manifest, out string? error)
    {
        error = null;
        var at = manifest.LastIndexOf('@');
        if (at <= 0 || !int.TryParse(manifest.AsSpan(at + 1), out var version))
        {
            error = $"message manifest '{manifest}' is not of the form name@version";
            return typeof(void);
        }

        var name = manifest[..at];
        if (!ByName.TryGetValue(name, out var entry))
        {
            error = $"message type '{name}' (version {version}) is unknown to this build; the sending node runs another build";
            return typeof(void);
        }

        if (entry.Version != version)
        {
            error = $"message type '{name}' arrived in version {version}, this build reads version {entry.Version}; " +
                    "the nodes run different builds and must be upgraded together";
            return typeof(void);
        }

        return entry.Type;
    }

    private static string Manifest(string name, int version) => $"{name}@{version}";
}
