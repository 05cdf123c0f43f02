namespace Jamba.Actors.Wire;

/// <summary>
/// A message that may cross nodes. HOCON binds this interface to <see cref="WireSerializer"/>, and each
/// implementing type is registered with a name and version in <see cref="WireCatalog"/>.
/// </summary>
public interface IWireMessage;
