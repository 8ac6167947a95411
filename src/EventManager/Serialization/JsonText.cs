using System.Numerics;

namespace EventManager.Serialization;

/// <summary>
/// Finds text that System.Text.Json parses but cannot read: invalid UTF-8 inside a string, or a <c>\u</c> escape of a lone
/// surrogate such as <c>"\ud800"</c>. Both parse, and throw <see cref="InvalidOperationException"/> only later, when that
/// string (or property name) is read, compared or written; checking the text first turns that into a format error at the door.
/// </summary>
internal static class JsonText
{
    /// <summary>The reason given for an unpaired surrogate escape.</summary>
    public const string UnpairedSurrogate = "a string contains a \\u escape of an unpaired UTF-16 surrogate";

    /// <summary>Why UTF-8 JSON text could not be read once parsed, or <see langword="null"/> when it can.</summary>
    /// <param name="utf8Json">The text; its JSON syntax is checked by the parser.</param>
    /// <returns>The reason, a clause that can follow a colon or end a sentence.</returns>
    public static string? FindUnreadable(ReadOnlySpan<byte> utf8Json) =>
        !System.Text.Unicode.Utf8.IsValid(utf8Json) ? "the text is not valid UTF-8"
        : !SurrogatesArePaired(utf8Json) ? UnpairedSurrogate
        : null;

    /// <summary>Whether every surrogate written as a <c>\u</c> escape in UTF-8 JSON text is half of a pair.</summary>
    /// <param name="json">The text; its JSON syntax is checked elsewhere.</param>
    /// <returns><see langword="false"/> when a high surrogate is not followed by an escaped low one, or a low one stands alone.</returns>
    public static bool SurrogatesArePaired(ReadOnlySpan<byte> json) => SurrogatesArePaired<byte>(json);

    /// <inheritdoc cref="SurrogatesArePaired(ReadOnlySpan{byte})"/>
    public static bool SurrogatesArePaired(ReadOnlySpan<char> json) => SurrogatesArePaired<char>(json);

    private static bool SurrogatesArePaired<T>(ReadOnlySpan<T> json)
        where T : unmanaged, IBinaryInteger<T>
    {
        var backslash = T.CreateTruncating('\\');
        var i = 0;
        while (i < json.Length)
        {
            // Outside strings a backslash is a syntax error the parser reports, so every one found here starts an escape.
            var found = json[i..].IndexOf(backslash);
            if (found < 0)
            {
                return true;
            }

            i += found + 1;
            if (!TryReadUnicodeEscape(json, i - 1, out var unit))
            {
                // A two-character escape such as \\ or \n: step over the escaped character so \\u is not read as \u.
                i++;
                continue;
            }

            i += 5;
            if (char.IsLowSurrogate(unit))
            {
                return false;
            }

            if (char.IsHighSurrogate(unit))
            {
                if (!TryReadUnicodeEscape(json, i, out var low) || !char.IsLowSurrogate(low))
                {
                    return false;
                }

                i += 6;
            }
        }

        return true;
    }

    /// <summary>Reads <c>\uXXXX</c> starting at <paramref name="at"/>.</summary>
    private static bool TryReadUnicodeEscape<T>(ReadOnlySpan<T> json, int at, out char unit)
        where T : unmanaged, IBinaryInteger<T>
    {
        unit = '\0';
        if (at + 6 > json.Length || json[at] != T.CreateTruncating('\\') || json[at + 1] != T.CreateTruncating('u'))
        {
            return false;
        }

        var value = 0;
        for (var k = at + 2; k < at + 6; k++)
        {
            var digit = HexValue(int.CreateTruncating(json[k]));
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        unit = (char)value;
        return true;
    }

    private static int HexValue(int c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
