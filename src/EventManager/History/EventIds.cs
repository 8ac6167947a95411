using System.Globalization;

namespace EventManager.History;

/// <summary>Reads what an event id made by this library carries: a version 7 GUID in 32 hex digits begins with its creation time in milliseconds.</summary>
internal static class EventIds
{
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
