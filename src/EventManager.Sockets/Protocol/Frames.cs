using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace EventManager.Sockets;

/// <summary>Writes the server's frames (docs/protocol.md). Events are copied in as their cached JSON, never serialised again.</summary>
internal static class Frames
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>Writes <c>{"type":<paramref name="type"/>,"payload":{...}}</c>, the shape of every control frame.</summary>
    private static void Envelope<TState>(IBufferWriter<byte> buffer, string type, TState state, Action<Utf8JsonWriter, TState> payload)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WriteStartObject("payload");
        payload(writer, state);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>A frame written once into its own array, for the SSE stream, which keeps items as bytes.</summary>
    private static byte[] ToArray<TState>(TState state, Action<IBufferWriter<byte>, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        write(buffer, state);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Connected(IBufferWriter<byte> buffer, string connectionId, string epoch, string? position, ClientConnectionOptions options, TimeSpan heartbeat, DateTimeOffset now) =>
        Envelope(buffer, "connected", (connectionId, epoch, position, options, heartbeat, now), static (writer, state) =>
        {
            writer.WriteString("connection_id", state.connectionId);
            writer.WriteString("server_time", state.now.UtcDateTime);
            writer.WriteString("epoch", state.epoch);
            if (state.position is not null)
            {
                writer.WriteString("last_event_id", state.position);
            }

            if (state.options.SessionId is not null)
            {
                writer.WriteString("session_id", state.options.SessionId);
            }

            writer.WriteNumber("heartbeat_interval_ms", state.heartbeat == Timeout.InfiniteTimeSpan ? 0 : (long)state.heartbeat.TotalMilliseconds);
            writer.WriteNumber("batch_size", state.options.BatchSize);
            writer.WriteNumber("batch_window_ms", (long)state.options.BatchWindow.TotalMilliseconds);
            writer.WritePropertyName("filter");
            state.options.Filter.WriteTo(writer);
        });

    public static void Control(IBufferWriter<byte> buffer, string type, DateTimeOffset now) =>
        Envelope(buffer, type, now, static (writer, now) => writer.WriteString("server_time", now.UtcDateTime));

    public static void Subscribed(IBufferWriter<byte> buffer, IReadOnlyList<string>? eventTypes) =>
        Envelope(buffer, "subscribed", eventTypes, static (writer, eventTypes) =>
        {
            writer.WriteStartArray("event_types");
            foreach (var type in eventTypes ?? ["*"])
            {
                writer.WriteStringValue(type);
            }

            writer.WriteEndArray();
        });

    public static void Error(IBufferWriter<byte> buffer, string code, string message, string? field = null) =>
        Envelope(buffer, "error", (code, message, field), static (writer, error) =>
        {
            writer.WriteString("code", error.code);
            writer.WriteString("message", error.message);
            if (error.field is not null)
            {
                writer.WriteString("field", error.field);
            }
        });

    /// <summary><c>resumed</c>: whether the events after <c>last_event_id</c> were recovered, and how many were replayed.</summary>
    public static void Resumed(IBufferWriter<byte> buffer, ResumeResult result, string epoch) =>
        Envelope(buffer, "resumed", (result, epoch), static (writer, state) =>
        {
            writer.WriteBoolean("recovered", state.result.Recovered);
            writer.WriteString("status", StatusName(state.result.Status));
            writer.WriteString("last_event_id", state.result.LastEventId);
            writer.WriteNumber("replayed", state.result.Replayed);
            writer.WriteString("epoch", state.epoch);
        });

    public static byte[] ErrorJson(string code, string message, string? field = null) =>
        ToArray((code, message, field), static (buffer, error) => Error(buffer, error.code, error.message, error.field));

    public static byte[] GapJson(long missed, long totalMissed) =>
        ToArray((missed, totalMissed), static (buffer, gap) => Gap(buffer, gap.missed, gap.totalMissed));

    public static string StatusName(ResumeStatus status) => status switch
    {
        ResumeStatus.Recovered => "recovered",
        ResumeStatus.HistoryExceeded => "history_exceeded",
        ResumeStatus.EpochChanged => "epoch_changed",
        ResumeStatus.Unknown => "unknown_event_id",
        _ => "live",
    };

    public static void Gap(IBufferWriter<byte> buffer, long missed, long totalMissed) =>
        Envelope(buffer, "gap", (missed, totalMissed), static (writer, gap) =>
        {
            writer.WriteNumber("missed", gap.missed);
            writer.WriteNumber("total_missed", gap.totalMissed);
        });

    public static void MetricsUpdate(IBufferWriter<byte> buffer, BroadcasterMetrics metrics, EventManagerMetrics manager, DateTimeOffset now) =>
        Envelope(buffer, "metrics_update", (metrics, manager, now), static (writer, state) => WriteMetrics(writer, state.metrics, state.manager, state.now));

    private static void WriteMetrics(Utf8JsonWriter writer, BroadcasterMetrics metrics, EventManagerMetrics manager, DateTimeOffset now)
    {
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
    public static byte[] SessionStreamStarted(string connectionId, string? sessionId, DateTimeOffset now) =>
        ToArray((connectionId, sessionId, now), static (buffer, state) =>
        {
            using var writer = new Utf8JsonWriter(buffer, WriterOptions);
            writer.WriteStartObject();
            writer.WriteString("event_id", state.connectionId);
            if (state.sessionId is not null)
            {
                writer.WriteString("session_id", state.sessionId);
            }

            writer.WriteString("timestamp", state.now.UtcDateTime);
            writer.WriteString("type", "session_stream_started");
            writer.WriteStartObject("payload");
            writer.WriteString("message", "SSE connection established");
            writer.WriteString("connection_id", state.connectionId);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
}
