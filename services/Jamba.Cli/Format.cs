using System.Globalization;

namespace Jamba.Cli;

/// <summary>Number formats of the command's output, fixed to the invariant culture so output parses the same everywhere.</summary>
public static class Format
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Exact bytes followed by a binary-prefixed size: "1,048,576 B (1.00 MiB)".</summary>
    public static string Bytes(long value) => $"{Count(value)} B ({Binary(value)})";

    public static string Binary(long value)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var size = (double)value;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return unit == 0 ? $"{value} B" : string.Create(CultureInfo.InvariantCulture, $"{size:0.00} {units[unit]}");
    }

    /// <summary>A count in millions or billions: "3.39 M".</summary>
    public static string Scaled(long value) => value switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{value / 1e9:0.00} B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{value / 1e6:0.00} M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{value / 1e3:0.00} K"),
        _ => Count(value),
    };

    public static string Number(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}
