namespace Jamba.Kernels;

/// <summary>Element type of a stored tensor.</summary>
public enum DType
{
    F32,
    BF16,
    F16,

    /// <summary>Signed 8-bit values in blocks of 32 along a row, each block with an F16 scale.</summary>
    Int8,
}

public static class DTypeExtensions
{
    public static int ByteSize(this DType type) => type switch
    {
        DType.F32 => 4,
        DType.BF16 => 2,
        DType.F16 => 2,
        DType.Int8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown dtype"),
    };
}
