using System.Runtime.InteropServices;

namespace Jamba.Engine.State;

/// <summary>
/// The fixed-size state of one Mamba layer: the conv window (the last d_conv inputs of the causal
/// conv1d, oldest first, [d_conv, d_inner]) and the SSM state h [d_inner, d_state].
/// </summary>
public sealed class MambaCache : LayerState
{
    public MambaCache(int dInner, int dConv, int dState)
    {
        DInner = dInner;
        DConv = dConv;
        DState = dState;
        ConvWindow = new float[dConv * dInner];
        Ssm = new float[dInner * dState];
    }

    public int DInner { get; }

    public int DConv { get; }

    public int DState { get; }

    public float[] ConvWindow { get; }

    public float[] Ssm { get; }

    public override long ByteCount => (ConvWindow.LongLength + Ssm.LongLength) * sizeof(float);

    internal override void Write(BinaryWriter writer)
    {
        writer.Write(DInner);
        writer.Write(DConv);
        writer.Write(DState);
        writer.Write(MemoryMarshal.AsBytes(ConvWindow.AsSpan()));
        writer.Write(MemoryMarshal.AsBytes(Ssm.AsSpan()));
    }

    internal override LayerState ReadSameLayout(BinaryReader reader)
    {
        var dInner = reader.ReadInt32();
        var dConv = reader.ReadInt32();
        var dState = reader.ReadInt32();
        if (dInner != DInner || dConv != DConv || dState != DState)
        {
            throw new InvalidDataException(
                $"Mamba state is [{dInner}, {dConv}, {dState}], this layer needs d_inner {DInner}, d_conv {DConv}, d_state {DState}");
        }

        var cache = new MambaCache(DInner, DConv, DState);
        ReadExactly(reader, MemoryMarshal.AsBytes(cache.ConvWindow.AsSpan()));
        ReadExactly(reader, MemoryMarshal.AsBytes(cache.Ssm.AsSpan()));
        return cache;
    }

    internal override void Adopt(LayerState source)
    {
        var cache = (MambaCache)source;
        cache.ConvWindow.CopyTo(ConvWindow, 0);
        cache.Ssm.CopyTo(Ssm, 0);
    }
}
