using System.Runtime.InteropServices;

namespace Jamba.Kernels;

/// <summary>Aligned unmanaged memory, freed by the finalizer when nothing references it.</summary>
public sealed unsafe class NativeBuffer
{
    public NativeBuffer(long byteCount)
    {
        ByteCount = byteCount;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(byteCount, 1), 64);
        NativeMemory.Clear(Pointer, (nuint)byteCount);
    }

    ~NativeBuffer() => NativeMemory.AlignedFree(Pointer);

    public byte* Pointer { get; }

    public long ByteCount { get; }
}
