using System.Text.Json;

namespace EventManager.Sockets;

/// <summary>Reads a field of an event's <c>data</c> for filters, without serialising the event once per client.</summary>
internal static class EventFields
{
    // Filters run on the manager's single dispatcher, one event at a time for every client, so one parse per event is shared.
    [ThreadStatic]
    private static WebSocketEvent? t_event;

    [ThreadStatic]
    private static JsonDocument? t_document;

    public static bool TryGet(WebSocketEvent evt, string field, out JsonElement value)
    {
        if (evt is CustomEvent custom)
        {
            return TryGetProperty(custom.Data, field, out value);
        }

        if (!ReferenceEquals(t_event, evt))
        {
            t_document?.Dispose();
            t_document = JsonDocument.Parse(evt.ToUtf8Json());
            t_event = evt;
        }

        if (t_document!.RootElement.TryGetProperty("data", out var data))
        {
            return TryGetProperty(data, field, out value);
        }

        value = default;
        return false;
    }

    private static bool TryGetProperty(JsonElement data, string field, out JsonElement value)
    {
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty(field, out value))
        {
            return true;
        }

        value = default;
        return false;
    }
}
