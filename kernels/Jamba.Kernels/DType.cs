namespace Jamba.Kernels;

/// <summary>Element type of a stored tensor.</summary>
public enum DType
{
    F32,
    BF16,
    F16,
}

public static class DTypeExtensions
{
    public static int ByteSize(this DType type) => type switch
    {
        DType.F32 => 4,
        DType.BF16 => 2,
        DType.F16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown dtype"),
    };
}
