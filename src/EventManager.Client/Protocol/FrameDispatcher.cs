using System.Runtime.InteropServices;
using System.Text.Json;

namespace EventManager.Client;

/// <summary>
/// Turns the server's frames (docs/protocol.md) into what the client does: events into the receive queue, the stream's
/// position and epoch kept for the next resume, resume outcomes and gaps reported. A malformed frame, or a malformed event
/// in a batch, is skipped and reported; the connection carries on. Used by one connection loop at a time.
/// </summary>
internal sealed class FrameDispatcher(EventManagerClient client)
{
    /// <summary>The heartbeat interval the last <c>connected</c> frame announced (zero: none), or <see langword="null"/> when it named none.</summary>
    public TimeSpan? ServerHeartbeat { get; private set; }

    /// <summary>Handles one WebSocket text message.</summary>
    /// <returns>Whether it was the <c>connected</c> frame.</returns>
    public async ValueTask<bool> OnWebSocketFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (!TryReadControl(frame, out var type, out var payload, out var document))
        {
            return false;
        }

        using (document)
        {
            switch (type)
            {
                case "connected":
                    client.OnConnected(OptionalString(payload, "epoch"), OptionalString(payload, "last_event_id"));
                    ServerHeartbeat = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("heartbeat_interval_ms", out var heartbeat) && heartbeat.ValueKind == JsonValueKind.Number && heartbeat.TryGetInt64(out var ms)
                        ? TimeSpan.FromMilliseconds(ms)
                        : null;
                    return true;
                case "event":
                    // The frame's buffer is reused for the next message, and the event keeps parts of what it parses.
                    await DeliverAsync(frame.ToArray(), cancellationToken).ConfigureAwait(false);
                    return false;
                case "batch":
                    if (document!.RootElement.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var element in events.EnumerateArray())
                        {
                            await DeliverAsync(JsonMarshal.GetRawUtf8Value(element).ToArray(), cancellationToken).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        client.ReportError(new EventFormatException("events", "a batch frame needs an events array."));
                    }

                    return false;
                default:
                    OnControl(type, payload);
                    return false;
            }
        }
    }

    /// <summary>Handles one Server-Sent Events item: the stream's hello, a control item, or an event named by its type.</summary>
    /// <returns>Whether it was the stream's hello.</returns>
    public async ValueTask<bool> OnServerSentEventAsync(string eventType, ReadOnlyMemory<byte> data, string? id, CancellationToken cancellationToken)
    {
        // An event's SSE name is its event_type, which may be any string, "gap" included: a control item is one whose data
        // carries the same name as its "type"; anything else is an event.
        if (eventType is "session_stream_started" or "resumed" or "gap" or "error" && ControlType(data) == eventType)
        {
            if (eventType == "session_stream_started")
            {
                client.OnConnected(null, id);
                return true;
            }

            if (TryReadControl(data, out var type, out var payload, out var document))
            {
                using (document)
                {
                    OnControl(type, payload);
                }
            }

            return false;
        }

        await DeliverAsync(data, cancellationToken).ConfigureAwait(false);
        return false;
    }

    public void ReportOversized(int limit) =>
        client.ReportError(new EventFormatException("$", $"the frame is longer than {nameof(EventManagerClientOptions.MaxFrameBytes)} ({limit} bytes); skipped."));

    /// <summary>The top-level <c>type</c> of a JSON object, without reporting anything when there is none.</summary>
    private static string? ControlType(ReadOnlyMemory<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                if (!reader.Read() || !reader.TrySkip())
                {
                    return null;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async ValueTask DeliverAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        WebSocketEvent evt;
        try
        {
            evt = WebSocketEvent.Parse(json);
        }
        catch (EventFormatException ex)
        {
            client.ReportError(ex);
            return;
        }

        await client.EnqueueAsync(evt, cancellationToken).ConfigureAwait(false);
    }

    private void OnControl(string type, JsonElement payload)
    {
        switch (type)
        {
            case "resumed":
                client.UpdateEpoch(OptionalString(payload, "epoch"));
                client.OnResumed(ReadResume(payload));
                break;
            case "gap":
                client.OnGap(new EventGap(OptionalCount(payload, "missed"), OptionalCount(payload, "total_missed")));
                break;
            case "error" when OptionalString(payload, "code") == "unknown_event_id":
                client.OnResumed(new ResumeResult(ResumeStatus.Unknown, client.LastEventId, 0));
                break;
            case "error":
                client.ReportError(new InvalidOperationException($"The server reported {OptionalString(payload, "code")}: {OptionalString(payload, "message")}"));
                break;
            default:
                // heartbeat, pong, subscribed, metrics_update, and types a newer server may add.
                break;
        }
    }

    private static ResumeResult ReadResume(JsonElement payload)
    {
        var status = OptionalString(payload, "status") switch
        {
            "recovered" => ResumeStatus.Recovered,
            "history_exceeded" => ResumeStatus.HistoryExceeded,
            "epoch_changed" => ResumeStatus.EpochChanged,
            _ => ResumeStatus.Unknown,
        };
        return new ResumeResult(status, OptionalString(payload, "last_event_id"), (int)Math.Min(int.MaxValue, OptionalCount(payload, "replayed")));
    }

    /// <summary>Reads a control frame's <c>type</c> and <c>payload</c>; reports and skips a frame that is not such an object.</summary>
    private bool TryReadControl(ReadOnlyMemory<byte> frame, out string type, out JsonElement payload, out JsonDocument? document)
    {
        type = string.Empty;
        payload = default;
        document = null;
        try
        {
            document = JsonDocument.Parse(frame);
        }
        catch (JsonException ex)
        {
            client.ReportError(new EventFormatException("$", "the frame is not valid JSON (" + ex.Message + ")", ex));
            return false;
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            document.Dispose();
            document = null;
            client.ReportError(new EventFormatException("type", "a frame must be an object with a string type."));
            return false;
        }

        type = typeElement.GetString()!;
        payload = root.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        return true;
    }

    private static string? OptionalString(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long OptionalCount(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) ? count : 0;
}
