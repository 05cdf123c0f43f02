using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Logging;

namespace Jamba.Cli;

/// <summary>Options shared by several commands, and builders for validated numeric options.</summary>
public static class CommonOptions
{
    public static Option<string?> Model() => new("--model", "-m")
    {
        Description = $"Model folder in the Hugging Face layout (config.json and safetensors); defaults to the bundled {ModelLocator.BundledModel}",
        HelpName = "DIR",
    };

    public static Option<LogLevel> LogLevel() => new("--log-level")
    {
        Description = "Minimum level of the log lines written to stderr; Debug adds the stack trace of a failure",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Warning,
        Recursive = true,
    };

    /// <summary>
    /// Builds an option whose value must parse as a <typeparamref name="T"/> and lie in [<paramref name="min"/>,
    /// <paramref name="max"/>], or (min, max] with <paramref name="minExclusive"/>. Anything else is a usage
    /// error naming the option and the value.
    /// </summary>
    public static Option<T> InRange<T>(string name, string description, T defaultValue, T min, T max, string? helpName = null,
        bool minExclusive = false)
        where T : struct, INumber<T>
    {
        var range = minExclusive ? $"greater than {min} and at most {max}" : $"between {min} and {max}";
        return new Option<T>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            HelpName = helpName,
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    return defaultValue;
                }

                var text = result.Tokens[0].Value;
                if (!T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    var kind = typeof(T) == typeof(int) || typeof(T) == typeof(long) ? "an integer" : "a number";
                    result.AddError($"{name}: '{text}' is not {kind}");
                    return defaultValue;
                }

                var aboveMin = minExclusive ? value > min : value >= min;
                if (!(aboveMin && value <= max))
                {
                    result.AddError($"{name} must be {range}, got {text}");
                }

                return value;
            },
        };
    }

    /// <summary>Builds an option holding a comma-separated list of integers, each at least <paramref name="min"/>.</summary>
    public static Option<int[]> IntList(string name, string description, int[] defaultValue, int min)
    {
        return new Option<int[]>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            HelpName = "N,N,...",
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    return defaultValue;
                }

                var values = new List<int>();
                foreach (var part in result.Tokens[0].Value.Split(','))
                {
                    if (!int.TryParse(part.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min)
                    {
                        result.AddError($"{name}: '{part}' is not an integer of at least {min}");
                        return defaultValue;
                    }

                    values.Add(value);
                }

                return values.Distinct().ToArray();
            },
        };
    }
}
