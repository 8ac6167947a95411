using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EventManager.Serialization;

namespace EventManager;

/// <summary>
/// An event of any other kind, such as <c>session.connected</c>, <c>system.alert</c> or <c>tool_call_started</c>,
/// carrying arbitrary JSON data.
/// </summary>
public sealed record CustomEvent : WebSocketEvent
{
    /// <summary>The longest accepted event type, in characters.</summary>
    public const int MaxEventTypeLength = 256;

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    // The data as the UTF-8 JSON that is written out; read as a JsonElement only when someone asks for Data.
    private readonly byte[] _utf8Data;
    private StrongBox<JsonElement>? _data;

    /// <summary>Creates the event.</summary>
    /// <param name="eventType">The kind of event; not empty, at most <see cref="MaxEventTypeLength"/> characters, no control characters, and not one of the typed kinds (<c>agent_message</c>, <c>network_update</c>, <c>system_status</c>), which have records of their own.</param>
    /// <param name="data">The data; an empty object when omitted. The value is copied.</param>
    /// <exception cref="ArgumentException"><paramref name="eventType"/> breaks one of the rules above.</exception>
    public CustomEvent(string eventType, JsonElement data = default)
        : this(eventType, data.ValueKind == JsonValueKind.Undefined ? EmptyObject : EventData.ToUtf8(data, nameof(data)))
    {
    }

    private CustomEvent(string eventType, byte[] utf8Data)
        : base(ValidateEventType(eventType))
    {
        _utf8Data = utf8Data;
    }

    /// <summary>The data, written as <c>data</c>.</summary>
    public JsonElement Data => (Volatile.Read(ref _data) ?? ParseData()).Value;

    /// <summary>Creates the event with data serialised from any value (dictionaries, lists, records, anonymous objects; properties in snake_case).</summary>
    /// <param name="eventType">The kind of event.</param>
    /// <param name="data">The data.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentException"><paramref name="eventType"/> is invalid or <paramref name="data"/> cannot be serialised.</exception>
    public static CustomEvent Create(string eventType, object? data) => new(eventType, EventData.ToUtf8(data, nameof(data)));

    /// <summary>Creates the event with data serialised by a source-generated serializer, for trimmed or native AOT applications.</summary>
    /// <typeparam name="T">The type of the data.</typeparam>
    /// <param name="eventType">The kind of event.</param>
    /// <param name="data">The data.</param>
    /// <param name="typeInfo">The serializer for <typeparamref name="T"/>.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentException"><paramref name="eventType"/> is invalid or <paramref name="data"/> cannot be serialised.</exception>
    public static CustomEvent Create<T>(string eventType, T data, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var utf8 = EventData.ToUtf8(data, typeInfo, nameof(data));
        return new CustomEvent(eventType, utf8);
    }

    /// <summary>Compares the envelope and the data by JSON value.</summary>
    /// <param name="other">The other event.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(CustomEvent? other) =>
        base.Equals(other) && (_utf8Data.AsSpan().SequenceEqual(other._utf8Data) || JsonElement.DeepEquals(Data, other.Data));

    /// <inheritdoc />
    public override int GetHashCode() => base.GetHashCode();

    private protected override void WriteData(Utf8JsonWriter writer) => writer.WriteRawValue(_utf8Data, skipInputValidation: true);

    private StrongBox<JsonElement> ParseData()
    {
        var parsed = new StrongBox<JsonElement>(EventData.Parse(_utf8Data));
        return Interlocked.CompareExchange(ref _data, parsed, null) ?? parsed;
    }

    private static string ValidateEventType(string eventType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        if (eventType.Length > MaxEventTypeLength || eventType.Any(char.IsControl))
        {
            throw new ArgumentException($"An event type must be at most {MaxEventTypeLength} characters without control characters.", nameof(eventType));
        }

        if (eventType is AgentMessageEvent.Type or NetworkUpdateEvent.Type or SystemStatusEvent.Type)
        {
            throw new ArgumentException($"'{eventType}' events are published as {eventType switch
            {
                AgentMessageEvent.Type => nameof(AgentMessageEvent),
                NetworkUpdateEvent.Type => nameof(NetworkUpdateEvent),
                _ => nameof(SystemStatusEvent),
            }}.", nameof(eventType));
        }

        return eventType;
    }
}
