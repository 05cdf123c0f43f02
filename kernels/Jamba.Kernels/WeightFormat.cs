namespace Jamba.Kernels;

/// <summary>The element type a backend keeps weight matrices in, whatever the checkpoint stores.</summary>
public enum WeightFormat
{
    /// <summary>As stored in the checkpoint, mapped in place.</summary>
    Stored,
    F32,
    BF16,
    Int8,
}
