using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace EventManager.Serialization;

/// <summary>Writes and reads the event envelope and the data of the typed events.</summary>
internal static class EventJson
{
    public const string EventType = "event_type";
    public const string Timestamp = "timestamp";
    public const string EventId = "event_id";
    public const string Sequence = "sequence";
    public const string OriginId = "origin_id";
    public const string SessionId = "session_id";
    public const string TargetUserId = "target_user_id";
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";
    public const string Data = "data";

    public static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static void WriteEnvelope(Utf8JsonWriter writer, WebSocketEvent evt)
    {
        writer.WriteString(EventType, evt.EventType);
        writer.WriteString(Timestamp, evt.Timestamp.UtcDateTime);
        writer.WriteString(EventId, evt.EventId);
        var sequence = evt.Sequence;
        if (sequence != 0)
        {
            writer.WriteNumber(Sequence, sequence);
        }

        if (evt.OriginId is { } origin)
        {
            writer.WriteString(OriginId, origin);
        }

        if (evt.SessionId is { } session)
        {
            writer.WriteString(SessionId, session);
        }

        if (evt.TargetUserId is { } user)
        {
            writer.WriteString(TargetUserId, user);
        }

        if (evt.TraceParent is { } traceParent)
        {
            writer.WriteString(TraceParent, traceParent);
            if (evt.TraceState is { } traceState)
            {
                writer.WriteString(TraceState, traceState);
            }
        }
    }

    public static void WriteObject(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, JsonElement> values)
    {
        writer.WritePropertyName(name);
        EventData.WriteFields(writer, values);
    }

    public static WebSocketEvent Parse(ReadOnlyMemory<byte> utf8Json)
    {
        if (JsonText.FindUnreadable(utf8Json.Span) is { } unreadable)
        {
            throw new EventFormatException("$", unreadable + ".");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new EventFormatException("$", "the text is not valid JSON (" + ex.Message + ")", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EventFormatException("$", $"expected a JSON object but found {Describe(root.ValueKind)}.");
            }

            var eventType = RequiredString(root, EventType, EventType);
            var data = root.TryGetProperty(Data, out var d) && d.ValueKind != JsonValueKind.Null ? d : default;

            WebSocketEvent evt = eventType switch
            {
                AgentMessageEvent.Type => AgentMessageEvent.ReadData(RequiredObjectValue(data)),
                NetworkUpdateEvent.Type => NetworkUpdateEvent.ReadData(RequiredObjectValue(data)),
                SystemStatusEvent.Type => SystemStatusEvent.ReadData(RequiredObjectValue(data)),
                _ => Construct(string.Empty, () => new CustomEvent(eventType, data)),
            };

            return ApplyEnvelope(root, evt);
        }
    }

    private static WebSocketEvent ApplyEnvelope(JsonElement root, WebSocketEvent evt)
    {
        DateTimeOffset? timestamp = root.TryGetProperty(Timestamp, out var t) && t.ValueKind != JsonValueKind.Null
            ? ReadTimestamp(t)
            : null;
        long sequence = 0;
        if (root.TryGetProperty(Sequence, out var s) && s.ValueKind != JsonValueKind.Null
            && (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out sequence) || sequence < 0))
        {
            throw new EventFormatException(Sequence, "expected a non-negative integer.");
        }

        evt.RestoreEnvelope(
            timestamp,
            OptionalString(root, EventId, EventId),
            OptionalString(root, SessionId, SessionId),
            OptionalString(root, TargetUserId, TargetUserId),
            OptionalString(root, OriginId, OriginId),
            sequence);
        ApplyTraceContext(root, evt);
        return evt;
    }

    /// <summary>As W3C Trace Context asks, a traceparent that does not parse is ignored rather than failing the event.</summary>
    private static void ApplyTraceContext(JsonElement root, WebSocketEvent evt)
    {
        if (root.TryGetProperty(TraceParent, out var parent) && parent.ValueKind == JsonValueKind.String
            && parent.GetString() is { } traceParent
            && ActivityContext.TryParse(traceParent, null, out _))
        {
            var traceState = root.TryGetProperty(TraceState, out var state) && state.ValueKind == JsonValueKind.String ? state.GetString() : null;
            evt.SetTraceContext(traceParent, string.IsNullOrEmpty(traceState) ? null : traceState);
        }
    }

    private static DateTimeOffset ReadTimestamp(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(
                element.GetString(),
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var value))
        {
            return value;
        }

        throw new EventFormatException(Timestamp, "expected an ISO 8601 date and time string.");
    }

    private static JsonElement RequiredObjectValue(JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            throw new EventFormatException(Data, data.ValueKind == JsonValueKind.Undefined
                ? "the field is required."
                : $"expected an object but found {Describe(data.ValueKind)}.");
        }

        return data;
    }

    public static string RequiredString(JsonElement parent, string name, string path, bool allowEmpty = false)
    {
        var text = Expect(Required(parent, name, path), path, JsonValueKind.String).GetString()!;
        return text.Length > 0 || allowEmpty ? text : throw new EventFormatException(path, "the string must not be empty.");
    }

    public static string? OptionalString(JsonElement parent, string name, string path) =>
        TryGetOptional(parent, name, path, JsonValueKind.String, out var value) ? value.GetString() : null;

    public static double RequiredNumber(JsonElement parent, string name, string path) =>
        Expect(Required(parent, name, path), path, JsonValueKind.Number).GetDouble();

    public static int RequiredCount(JsonElement parent, string name, string path)
    {
        var value = Required(parent, name, path);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var count) || count < 0)
        {
            throw new EventFormatException(path, $"expected a non-negative integer but found {Describe(value)}.");
        }

        return count;
    }

    public static bool RequiredBoolean(JsonElement parent, string name, string path)
    {
        var value = Required(parent, name, path);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new EventFormatException(path, $"expected true or false but found {Describe(value.ValueKind)}."),
        };
    }

    public static TEnum RequiredEnum<TEnum>(JsonElement parent, string name, string path, Func<string, TEnum?> map)
        where TEnum : struct, Enum
    {
        var text = RequiredString(parent, name, path);
        return map(text) ?? throw new EventFormatException(path, $"'{text}' is not one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}.");
    }

    /// <summary>Reads an optional object of arbitrary fields; <see langword="null"/> when absent or null.</summary>
    public static IReadOnlyDictionary<string, JsonElement>? OptionalFields(JsonElement parent, string name, string path)
    {
        if (!TryGetOptional(parent, name, path, JsonValueKind.Object, out var value))
        {
            return null;
        }

        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return new JsonFields(result);
    }

    public static JsonElement RequiredProperty(JsonElement parent, string name, string path, JsonValueKind kind) =>
        Expect(Required(parent, name, path), path, kind);

    /// <summary>False when the field is absent or null; throws when it is present with another kind.</summary>
    public static bool TryGetOptional(JsonElement parent, string name, string path, JsonValueKind kind, out JsonElement value)
    {
        if (!parent.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        Expect(value, path, kind);
        return true;
    }

    public static JsonElement Expect(JsonElement value, string path, JsonValueKind kind) =>
        value.ValueKind == kind
            ? value
            : throw new EventFormatException(path, $"expected {Describe(kind)} but found {Describe(value.ValueKind)}.");

    private static JsonElement Required(JsonElement parent, string name, string path) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new EventFormatException(path, "the field is required.");

    /// <summary>Runs a validating constructor and reports its argument errors as a format error at the offending field.</summary>
    public static T Construct<T>(string path, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException ex)
        {
            var field = ex.ParamName is { Length: > 0 } param ? Join(path, JsonNamingPolicy.SnakeCaseLower.ConvertName(param)) : path;
            throw new EventFormatException(field, ex.Message.Split(" (Parameter")[0], ex);
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string Describe(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? value.GetRawText() : Describe(value.ValueKind);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
