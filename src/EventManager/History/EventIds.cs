using System.Buffers.Binary;
using System.Globalization;

namespace EventManager.History;

/// <summary>
/// Makes and reads event ids: version 7 GUIDs in 32 hex digits, which begin with their creation time in milliseconds, so
/// ids sort by time and a resume can tell an id that is too old from one this stream never had.
/// </summary>
internal static class EventIds
{
    // Each thread numbers its ids from a random start under random bits of its own, instead of asking the system for
    // 16 random bytes per id as Guid.CreateVersion7 does: two ids collide only within one millisecond and only if two
    // threads' 74 random bits meet, which is as unlikely as for random version 7 GUIDs.
    [ThreadStatic]
    private static ulong t_counter;

    [ThreadStatic]
    private static ushort t_randomA;

    /// <summary>A new id created at <paramref name="now"/>.</summary>
    public static string New(DateTimeOffset now)
    {
        if (t_counter == 0)
        {
            t_counter = (ulong)Random.Shared.NextInt64() | 1;
            t_randomA = (ushort)Random.Shared.Next(1 << 12);
        }

        var counter = ++t_counter;
        var milliseconds = (ulong)now.ToUnixTimeMilliseconds();
        var high = (milliseconds << 16) | 0x7000UL | t_randomA;
        var low = (counter & 0x3FFF_FFFF_FFFF_FFFFUL) | 0x8000_0000_0000_0000UL;
        return string.Create(32, (high, low), static (chars, id) =>
        {
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, id.high);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], id.low);
            Convert.TryToHexStringLower(bytes, chars, out _);
        });
    }

    public static bool TryGetTimestamp(string eventId, out DateTimeOffset created)
    {
        created = default;
        if (eventId.Length != 32 || eventId[12] != '7'
            || !long.TryParse(eventId.AsSpan(0, 12), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var milliseconds)
            || !Guid.TryParseExact(eventId, "N", out _))
        {
            return false;
        }

        created = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return true;
    }
}
