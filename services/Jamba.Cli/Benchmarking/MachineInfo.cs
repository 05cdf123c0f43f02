using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jamba.Cli.Benchmarking;

/// <summary>The machine a benchmark ran on, so figures from different machines are not compared blindly.</summary>
public sealed record MachineInfo(
    string Cpu,
    int LogicalCores,
    bool Vector256,
    bool Vector512,
    bool Fma,
    string Os,
    string Runtime)
{
    public static MachineInfo Current() => new(
        ReadCpuModel(),
        Environment.ProcessorCount,
        System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated,
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        System.Runtime.Intrinsics.X86.Fma.IsSupported,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription);

    /// <summary>The widest vector size the JIT accelerates on this machine.</summary>
    public string SimdWidth
    {
        get
        {
            if (Vector512)
            {
                return "512-bit";
            }

            if (Vector256)
            {
                return "256-bit";
            }

            return Vector128.IsHardwareAccelerated ? "128-bit" : "none";
        }
    }

    public override string ToString() =>
        $"{Cpu}, {LogicalCores} logical cores, SIMD {SimdWidth} (Vector256 {YesNo(Vector256)}, Vector512 {YesNo(Vector512)}, FMA {YesNo(Fma)}), {Runtime} on {Os}";

    private static string YesNo(bool value) => value ? "yes" : "no";

    /// <summary>Reads the first "model name" of /proc/cpuinfo (Linux), or the architecture elsewhere.</summary>
    private static string ReadCpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (File.Exists(cpuInfo))
        {
            foreach (var line in File.ReadLines(cpuInfo))
            {
                var colon = line.IndexOf(':');
                if (colon > 0 && line[..colon].Trim() == "model name")
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
