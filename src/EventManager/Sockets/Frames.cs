using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace EventManager.Sockets;

/// <summary>Writes the server's frames (docs/protocol.md). Events are copied in as their cached JSON, never serialised again.</summary>
internal static class Frames
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static void Connected(IBufferWriter<byte> buffer, string connectionId, string epoch, ClientConnectionOptions options, TimeSpan heartbeat, DateTimeOffset now)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "connected");
        writer.WriteStartObject("payload");
        writer.WriteString("connection_id", connectionId);
        writer.WriteString("server_time", now.UtcDateTime);
        writer.WriteString("epoch", epoch);
        if (options.SessionId is not null)
        {
            writer.WriteString("session_id", options.SessionId);
        }

        writer.WriteNumber("heartbeat_interval_ms", heartbeat == Timeout.InfiniteTimeSpan ? 0 : (long)heartbeat.TotalMilliseconds);
        writer.WriteNumber("batch_size", options.BatchSize);
        writer.WriteNumber("batch_window_ms", (long)options.BatchWindow.TotalMilliseconds);
        writer.WritePropertyName("filter");
        options.Filter.WriteTo(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static void Control(IBufferWriter<byte> buffer, string type, DateTimeOffset now)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WriteStartObject("payload");
        writer.WriteString("server_time", now.UtcDateTime);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static void Subscribed(IBufferWriter<byte> buffer, IReadOnlyList<string>? eventTypes)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "subscribed");
        writer.WriteStartObject("payload");
        writer.WriteStartArray("event_types");
        foreach (var type in eventTypes ?? ["*"])
        {
            writer.WriteStringValue(type);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static void Error(IBufferWriter<byte> buffer, string code, string message, string? field = null)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("payload");
        writer.WriteString("code", code);
        writer.WriteString("message", message);
        if (field is not null)
        {
            writer.WriteString("field", field);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary><c>resumed</c>: whether the events after <c>last_event_id</c> were recovered, and how many were replayed.</summary>
    public static void Resumed(IBufferWriter<byte> buffer, ResumeResult result, string epoch)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "resumed");
        writer.WriteStartObject("payload");
        writer.WriteBoolean("recovered", result.Recovered);
        writer.WriteString("status", StatusName(result.Status));
        writer.WriteString("last_event_id", result.LastEventId);
        writer.WriteNumber("replayed", result.Replayed);
        writer.WriteString("epoch", epoch);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static byte[] ResumedJson(ResumeResult result, string epoch)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Resumed(buffer, result, epoch);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] ErrorJson(string code, string message, string? field = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Error(buffer, code, message, field);
        return buffer.WrittenSpan.ToArray();
    }

    public static string StatusName(ResumeStatus status) => status switch
    {
        ResumeStatus.Recovered => "recovered",
        ResumeStatus.HistoryExceeded => "history_exceeded",
        ResumeStatus.EpochChanged => "epoch_changed",
        ResumeStatus.Unknown => "unknown_event_id",
        _ => "live",
    };

    public static void Gap(IBufferWriter<byte> buffer, long missed, long totalMissed)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "gap");
        writer.WriteStartObject("payload");
        writer.WriteNumber("missed", missed);
        writer.WriteNumber("total_missed", totalMissed);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static void MetricsUpdate(IBufferWriter<byte> buffer, BroadcasterMetrics metrics, EventManagerMetrics manager, DateTimeOffset now)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "metrics_update");
        writer.WriteStartObject("payload");
        writer.WriteNumber("active_sessions", metrics.ActiveSessions);
        writer.WriteNumber("total_connected_clients", metrics.ConnectedClients);
        writer.WriteNumber("total_events_broadcast", metrics.EventsSent);
        writer.WriteNumber("total_bytes_sent", metrics.BytesSent);
        writer.WriteNumber("total_events_dropped", metrics.EventsDropped);
        writer.WriteStartObject("sessions");
        foreach (var (id, session) in metrics.Sessions)
        {
            writer.WriteStartObject(id);
            writer.WriteNumber("connected_clients", session.ConnectedClients);
            writer.WriteNumber("total_events_sent", session.EventsSent);
            writer.WriteNumber("total_bytes_sent", session.BytesSent);
            writer.WriteNumber("uptime_seconds", Math.Round(session.Uptime.TotalSeconds, 3));
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteStartObject("event_manager");
        writer.WriteNumber("published", manager.Published);
        writer.WriteNumber("delivered", manager.Delivered);
        writer.WriteNumber("dropped", manager.Dropped);
        writer.WriteNumber("queue_depth", manager.QueueDepth);
        writer.WriteEndObject();
        writer.WriteString("timestamp", now.UtcDateTime);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary><c>{"type":"event", ...the event's own fields}</c>: the cached JSON with the type spliced in front.</summary>
    public static void Event(IBufferWriter<byte> buffer, WebSocketEvent evt)
    {
        var json = evt.ToUtf8Json().Span;
        buffer.Write("{\"type\":\"event\","u8);
        buffer.Write(json[1..]);
    }

    /// <summary><c>{"type":"batch","count":N,"timestamp":...,"events":[...]}</c> with each event's cached JSON copied in, written by hand: this is the hot path.</summary>
    public static void Batch(IBufferWriter<byte> buffer, IReadOnlyList<WebSocketEvent> events, DateTimeOffset now)
    {
        buffer.Write("{\"type\":\"batch\",\"count\":"u8);
        var span = buffer.GetSpan(64);
        Utf8Formatter.TryFormat(events.Count, span, out var written);
        buffer.Advance(written);
        buffer.Write(",\"timestamp\":\""u8);
        span = buffer.GetSpan(64);
        Utf8Formatter.TryFormat(now.UtcDateTime, span, out written, new StandardFormat('O'));
        buffer.Advance(written);
        buffer.Write("\",\"events\":["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write(","u8);
            }

            buffer.Write(events[i].ToUtf8Json().Span);
        }

        buffer.Write("]}"u8);
    }

    /// <summary>The SSE data of <c>session_stream_started</c>, in the shape of the event-bus design.</summary>
    public static byte[] SessionStreamStarted(string connectionId, string? sessionId, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("event_id", connectionId);
            if (sessionId is not null)
            {
                writer.WriteString("session_id", sessionId);
            }

            writer.WriteString("timestamp", now.UtcDateTime);
            writer.WriteString("type", "session_stream_started");
            writer.WriteStartObject("payload");
            writer.WriteString("message", "SSE connection established");
            writer.WriteString("connection_id", connectionId);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
