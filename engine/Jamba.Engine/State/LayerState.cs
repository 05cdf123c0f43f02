namespace Jamba.Engine.State;

/// <summary>What one layer keeps for one sequence between calls.</summary>
public abstract class LayerState
{
    /// <summary>Bytes this state occupies now.</summary>
    public abstract long ByteCount { get; }

    internal abstract void Write(BinaryWriter writer);

    internal abstract void Read(BinaryReader reader);
}
