using EventManager.Serialization;
using System.Text.Json;

namespace EventManager.Sockets;

/// <summary>
/// Reads one client frame into a <see cref="ClientCommand"/>, or says what is wrong with it, naming the field. Pure: no
/// connection state, so every refusal is tested without a socket.
/// </summary>
internal static class ClientCommandParser
{
    /// <summary>Parses a complete text frame.</summary>
    /// <param name="frame">The frame's UTF-8 bytes.</param>
    /// <param name="command">The command, when the frame is one.</param>
    /// <returns><see langword="null"/> for a valid frame, else the error to send back.</returns>
    public static ClientFrameError? Parse(ReadOnlyMemory<byte> frame, out ClientCommand command)
    {
        command = default;
        if (JsonText.FindUnreadable(frame.Span) is { } unreadable)
        {
            return new ClientFrameError("invalid_json", "the frame is not valid JSON: " + unreadable);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame);
        }
        catch (JsonException ex)
        {
            return new ClientFrameError("invalid_json", "the frame is not valid JSON: " + ex.Message);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ClientFrameError("invalid_frame", "a frame is a JSON object with a \"type\"");
            }

            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return new ClientFrameError("invalid_field", "\"type\" must be a string", "type");
            }

            switch (type.GetString())
            {
                case "ping":
                    command = new ClientCommand(ClientCommandKind.Ping);
                    return null;
                case "subscribe":
                    return ParseEventTypes(root, ClientCommandKind.Subscribe, out command);
                case "unsubscribe":
                    return ParseEventTypes(root, ClientCommandKind.Unsubscribe, out command);
                case "resume":
                    return ParseResume(root, out command);
                default:
                    return new ClientFrameError("unknown_type", $"unknown frame type '{type.GetString()}'; expected ping, subscribe, unsubscribe or resume", "type");
            }
        }
    }

    /// <summary><c>subscribe</c> must name the types; <c>unsubscribe</c> may, or removes them all.</summary>
    private static ClientFrameError? ParseEventTypes(JsonElement root, ClientCommandKind kind, out ClientCommand command)
    {
        command = default;
        List<string>? named = null;
        if (root.TryGetProperty("payload", out var payload) && payload.ValueKind != JsonValueKind.Null)
        {
            if (payload.ValueKind != JsonValueKind.Object)
            {
                return new ClientFrameError("invalid_field", "\"payload\" must be an object", "payload");
            }

            if (payload.TryGetProperty("event_types", out var types) && types.ValueKind != JsonValueKind.Null)
            {
                if (types.ValueKind != JsonValueKind.Array)
                {
                    return new ClientFrameError("invalid_field", "\"event_types\" must be an array of strings", "payload.event_types");
                }

                named = [];
                var index = 0;
                foreach (var item in types.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        return new ClientFrameError("invalid_field", "event types are strings", $"payload.event_types[{index}]");
                    }

                    named.Add(item.GetString()!);
                    index++;
                }
            }
        }

        if (kind == ClientCommandKind.Subscribe && named is null)
        {
            return new ClientFrameError("invalid_field", "subscribe needs payload.event_types", "payload.event_types");
        }

        command = new ClientCommand(kind, named);
        return null;
    }

    private static ClientFrameError? ParseResume(JsonElement root, out ClientCommand command)
    {
        command = default;
        string? lastEventId = null, epoch = null;
        if (root.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object)
        {
            if (payload.TryGetProperty("last_event_id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                lastEventId = id.GetString();
            }

            if (payload.TryGetProperty("epoch", out var given) && given.ValueKind == JsonValueKind.String)
            {
                epoch = given.GetString();
            }
        }

        if (!ClientConnectionOptions.IsEventId(lastEventId))
        {
            return new ClientFrameError("invalid_field", "resume needs payload.last_event_id, an event id", "payload.last_event_id");
        }

        command = new ClientCommand(ClientCommandKind.Resume, LastEventId: lastEventId, Epoch: ClientConnectionOptions.IsEventId(epoch) ? epoch : null);
        return null;
    }
}
