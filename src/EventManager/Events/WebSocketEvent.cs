using System.Text;
using System.Text.Json;
using EventManager.History;
using EventManager.Serialization;

namespace EventManager;

/// <summary>
/// An event in a <see cref="WebSocketEventManager"/> stream. Its JSON form is
/// <c>{"event_type": ..., "timestamp": ..., "event_id": ..., "sequence": ..., "origin_id": ..., "session_id": ..., "target_user_id": ..., "data": {...}}</c>;
/// see <c>docs/events.md</c>.
/// </summary>
/// <remarks>
/// An event is immutable once published: the manager stamps <see cref="Sequence"/> and <see cref="OriginId"/>
/// when it dispatches the event and from then on caches its serialised form, so the event is written once
/// however many listeners, sockets or mirrors send it. An instance is published at most once; publish a copy
/// made with a <c>with</c> expression to send the same content again or to another manager.
/// </remarks>
public abstract record WebSocketEvent
{
    private const int Unclaimed = 0;
    private const int Claimed = 1;

    private DateTimeOffset _timestamp;
    private string _eventId;
    private string? _sessionId;
    private string? _targetUserId;
    private string? _originId;
    private string? _traceParent;
    private string? _traceState;
    private long _sequence;
    private int _claim;
    private int _stamped;
    private CachedJson? _utf8Json;

    private protected WebSocketEvent(string eventType)
    {
        EventType = eventType;
        // One clock read serves the timestamp and the time inside the id.
        var now = TimeProvider.System.GetUtcNow();
        _timestamp = now;
        _eventId = EventIds.New(now);
    }

    /// <summary>
    /// Copies an event for a <c>with</c> expression. The copy is a new, unpublished event: it gets a new
    /// <see cref="EventId"/>, no <see cref="Sequence"/>, and the <see cref="OriginId"/> of the manager it is published to.
    /// </summary>
    /// <param name="original">The event copied.</param>
    protected WebSocketEvent(WebSocketEvent original)
    {
        ArgumentNullException.ThrowIfNull(original);
        EventType = original.EventType;
        _timestamp = original._timestamp;
        _sessionId = original._sessionId;
        _targetUserId = original._targetUserId;
        _eventId = EventIds.New(TimeProvider.System.GetUtcNow());
    }

    /// <summary>The kind of event, such as <c>agent_message</c> or <c>session.connected</c>. Written as <c>event_type</c>.</summary>
    public string EventType { get; }

    /// <summary>
    /// When the event happened, in UTC (a value with another offset is converted). Defaults to the time it was
    /// created. Written as <c>timestamp</c> (ISO 8601, ending in <c>Z</c>).
    /// </summary>
    public DateTimeOffset Timestamp
    {
        get => _timestamp;
        init => _timestamp = value.ToUniversalTime();
    }

    /// <summary>A unique id for the event, by default a time-ordered GUID in 32 hex digits. Written as <c>event_id</c>.</summary>
    /// <exception cref="ArgumentException">Set to an empty or white-space string.</exception>
    public string EventId
    {
        get => _eventId;
        init
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(EventId));
            _eventId = value;
        }
    }

    /// <summary>
    /// The position of the event in the stream of the manager that delivered it: 1 for the first event, then
    /// one more for each. Zero until the event is published. Written as <c>sequence</c>.
    /// </summary>
    public long Sequence => Volatile.Read(ref _sequence);

    /// <summary>The session the event belongs to, or <see langword="null"/> for a global event. Written as <c>session_id</c>.</summary>
    public string? SessionId
    {
        get => _sessionId;
        init => _sessionId = string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>
    /// The user the event is addressed to, or <see langword="null"/> for everyone. Socket endpoints deliver an addressed event
    /// only to connections authenticated as that user. Written as <c>target_user_id</c>.
    /// </summary>
    public string? TargetUserId
    {
        get => _targetUserId;
        init => _targetUserId = string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>
    /// The <see cref="WebSocketEventManager.InstanceId"/> of the manager where the event was first published.
    /// Set by that manager when it dispatches the event, kept when the event crosses to other instances.
    /// Written as <c>origin_id</c>.
    /// </summary>
    public string? OriginId
    {
        get => Volatile.Read(ref _originId);
        init => _originId = string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>
    /// The W3C <c>traceparent</c> of the span that published the event, so handlers here and on other instances join the
    /// publisher's trace; <see langword="null"/> when no listener traced the <c>EventManager</c> activity source at publish
    /// time. Set by the manager when it publishes an event that has none; kept when the event crosses to other instances.
    /// Written as <c>traceparent</c>, and only when set; a value that is not a valid traceparent is read as none. Not part of
    /// equality, and not copied by a <c>with</c> expression.
    /// </summary>
    public string? TraceParent => Volatile.Read(ref _traceParent);

    /// <summary>The W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>, if any. Written as <c>tracestate</c>.</summary>
    public string? TraceState => Volatile.Read(ref _traceState);

    /// <summary>Serialises the event to its JSON form.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        if (Volatile.Read(ref _utf8Json) is null && Sequence == 0)
        {
            var scratch = Utf8Scratch.Take();
            try
            {
                WriteTo(scratch.Writer);
                return Encoding.UTF8.GetString(scratch.Written);
            }
            finally
            {
                scratch.Return();
            }
        }

        return Encoding.UTF8.GetString(ToUtf8Json().Span);
    }

    /// <summary>
    /// Serialises the event to UTF-8 JSON. Once the event is published the bytes are computed once and shared,
    /// so sending them to many recipients costs no further serialisation.
    /// </summary>
    /// <returns>
    /// The UTF-8 JSON bytes; do not modify them. For a published event they are a slice of a buffer shared with other
    /// events' JSON (only the slice is this event's), valid for as long as anything holds them.
    /// </returns>
    public ReadOnlyMemory<byte> ToUtf8Json()
    {
        var cached = Volatile.Read(ref _utf8Json);
        if (cached is not null)
        {
            return cached.Bytes;
        }

        if (Sequence == 0)
        {
            return Utf8Scratch.ToArray(this, static (writer, evt) => evt.WriteTo(writer));
        }

        var kept = new CachedJson(Utf8Scratch.Keep(this, static (writer, evt) => evt.WriteTo(writer)));
        return (Interlocked.CompareExchange(ref _utf8Json, kept, null) ?? kept).Bytes;
    }

    /// <summary>Writes the event as one JSON object, for example as an element of a batch.</summary>
    /// <param name="writer">The writer.</param>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var cached = Volatile.Read(ref _utf8Json);
        if (cached is not null)
        {
            writer.WriteRawValue(cached.Bytes.Span, skipInputValidation: true);
            return;
        }

        writer.WriteStartObject();
        EventJson.WriteEnvelope(writer, this);
        writer.WritePropertyName(EventJson.Data);
        WriteData(writer);
        writer.WriteEndObject();
    }

    /// <summary>Parses an event from its JSON form. Known event types become their typed records; any other type becomes a <see cref="CustomEvent"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="EventFormatException">The JSON is malformed, lacks a required field, or a field has the wrong type or an invalid value; <see cref="EventFormatException.Field"/> names it.</exception>
    public static WebSocketEvent Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return EventJson.Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Parses an event from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The UTF-8 JSON bytes.</param>
    /// <returns>The event.</returns>
    /// <exception cref="EventFormatException">The JSON is malformed, lacks a required field, or a field has the wrong type or an invalid value; <see cref="EventFormatException.Field"/> names it.</exception>
    public static WebSocketEvent Parse(ReadOnlyMemory<byte> utf8Json) => EventJson.Parse(utf8Json);

    /// <summary>Writes the value of the <c>data</c> field.</summary>
    /// <param name="writer">The writer, positioned where the value goes.</param>
    private protected abstract void WriteData(Utf8JsonWriter writer);

    /// <summary>Compares the envelope fields; derived records add their own data.</summary>
    /// <param name="other">The other event.</param>
    /// <returns>Whether both are the same kind of event with equal fields.</returns>
    public virtual bool Equals(WebSocketEvent? other) =>
        other is not null
        && EqualityContract == other.EqualityContract
        && EventType == other.EventType
        && _timestamp == other._timestamp
        && _eventId == other._eventId
        && _sessionId == other._sessionId
        && _targetUserId == other._targetUserId
        && OriginId == other.OriginId
        && Sequence == other.Sequence;

    /// <summary>Hashes the event by its id, which is unique.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => _eventId.GetHashCode(StringComparison.Ordinal);

    /// <summary>
    /// Marks the event as published, on the publisher's thread. A plain read and write, not an interlocked one: that
    /// would stall every publish on the event's cache line. Two threads publishing one instance at the same moment can
    /// both pass; <see cref="TryStamp"/> catches that.
    /// </summary>
    internal bool TryClaim()
    {
        if (Volatile.Read(ref _claim) != Unclaimed)
        {
            return false;
        }

        Volatile.Write(ref _claim, Claimed);
        return true;
    }

    internal void ReleaseClaim() => Volatile.Write(ref _claim, Unclaimed);

    /// <summary>Stamps the event on a dispatcher. False when a dispatcher already stamped this instance.</summary>
    internal bool TryStamp(long sequence, string instanceId)
    {
        if (Interlocked.Exchange(ref _stamped, 1) != 0)
        {
            return false;
        }

        if (_utf8Json is not null)
        {
            Volatile.Write(ref _utf8Json, null);
        }

        _originId ??= instanceId;
        Volatile.Write(ref _sequence, sequence);
        return true;
    }

    /// <summary>Gives an event being published the context of its publish span; before it is stamped, so before its JSON is cached.</summary>
    internal void SetTraceContext(string? traceParent, string? traceState)
    {
        _traceState = traceState;
        Volatile.Write(ref _traceParent, traceParent);
    }

    /// <summary>Takes back the context <see cref="SetTraceContext"/> gave for the span <paramref name="traceParent"/>, when a publish under it failed.</summary>
    internal void ClearTraceContext(string? traceParent)
    {
        if (traceParent is not null && Volatile.Read(ref _traceParent) == traceParent)
        {
            _traceState = null;
            Volatile.Write(ref _traceParent, null);
        }
    }

    /// <summary>Sets the timestamp of an event that a manager has just created for a <c>Broadcast</c> call, from its clock.</summary>
    internal void SetTimestamp(DateTimeOffset timestamp) => _timestamp = timestamp.ToUniversalTime();

    /// <summary>Sets the envelope of an event that <see cref="Parse(string)"/> has just created and no one else has seen.</summary>
    internal void RestoreEnvelope(DateTimeOffset? timestamp, string? eventId, string? sessionId, string? targetUserId, string? originId, long sequence)
    {
        _timestamp = timestamp?.ToUniversalTime() ?? _timestamp;
        _eventId = string.IsNullOrWhiteSpace(eventId) ? _eventId : eventId;
        _sessionId = string.IsNullOrEmpty(sessionId) ? null : sessionId;
        _targetUserId = string.IsNullOrEmpty(targetUserId) ? null : targetUserId;
        _originId = string.IsNullOrEmpty(originId) ? null : originId;
        _sequence = sequence;
    }

    /// <summary>A published event's JSON, computed once; one reference, so threads that race to compute it agree on one copy.</summary>
    private sealed class CachedJson(ReadOnlyMemory<byte> bytes)
    {
        public ReadOnlyMemory<byte> Bytes { get; } = bytes;
    }
}
