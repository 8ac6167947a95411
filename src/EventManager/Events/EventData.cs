using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EventManager.Serialization;

namespace EventManager;

/// <summary>Turns arbitrary .NET values into the JSON data carried by events (metadata, details, custom event data).</summary>
public static class EventData
{
    /// <summary>An empty set of fields.</summary>
    public static IReadOnlyDictionary<string, JsonElement> Empty { get; } = FrozenDictionary<string, JsonElement>.Empty;

    private static readonly JsonSerializerOptions ObjectOptions = new()
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(EventJsonContext.Default, new DefaultJsonTypeInfoResolver()),
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        MaxDepth = 64,
    };

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 1000 };

    private static readonly JsonElement NullElement = JsonSerializer.Deserialize("null"u8, EventJsonContext.Default.JsonElement);

    /// <summary>
    /// Converts a dictionary of values (strings, numbers, booleans, dates, lists, nested dictionaries, <see cref="JsonElement"/>,
    /// or plain objects, whose properties are written in snake_case) to JSON fields.
    /// </summary>
    /// <param name="values">The values, or <see langword="null"/> for none.</param>
    /// <param name="paramName">The parameter name reported if a value cannot be serialised.</param>
    /// <returns>The fields, detached from <paramref name="values"/>.</returns>
    /// <exception cref="ArgumentException">A value cannot be serialised (a cycle, a NaN, a delegate, ...).</exception>
    public static IReadOnlyDictionary<string, JsonElement> FromObject(IReadOnlyDictionary<string, object?>? values, string paramName = "metadata")
    {
        if (values is null || values.Count == 0)
        {
            return Empty;
        }

        // Written straight to the UTF-8 JSON that sockets and the Redis mirror send, with no JsonElement in between.
        var utf8 = Utf8Scratch.ToArray((values, paramName), static (writer, state) =>
        {
            writer.WriteStartObject();
            foreach (var (key, value) in state.values)
            {
                if (key is null)
                {
                    throw new ArgumentException("A key must not be null.", state.paramName);
                }

                writer.WritePropertyName(key);
                WriteValue(writer, value, state.paramName, key);
            }

            writer.WriteEndObject();
        });
        return new JsonFields(utf8, values.Count);
    }

    /// <summary>Converts any value to a detached <see cref="JsonElement"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="paramName">The parameter name reported if the value cannot be serialised.</param>
    /// <returns>The JSON value.</returns>
    /// <exception cref="ArgumentException">The value cannot be serialised.</exception>
    public static JsonElement ToElement(object? value, string paramName = "value") => Parse(ToUtf8(value, paramName));

    /// <summary>Reads JSON this library wrote into a detached element, as deep as the writer allows.</summary>
    internal static JsonElement Parse(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8, ParseOptions);
        return document.RootElement.Clone();
    }

    /// <summary>Serialises a value with a source-generated serializer, reporting a failure as an argument error.</summary>
    internal static byte[] ToUtf8<T>(T value, JsonTypeInfo<T> typeInfo, string paramName)
    {
        try
        {
            // Into this library's writer, so the caller's writer options (indentation, encoder) do not reach the wire.
            return Utf8Scratch.ToArray((value, typeInfo), static (writer, state) => JsonSerializer.Serialize(writer, state.value, state.typeInfo));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"The value cannot be serialised to JSON: {ex.Message}", paramName, ex);
        }
    }

    /// <summary>Serialises any value to UTF-8 JSON, reporting a value that cannot be serialised as an argument error.</summary>
    internal static byte[] ToUtf8(object? value, string paramName) =>
        Utf8Scratch.ToArray((value, paramName), static (writer, state) => WriteValue(writer, state.value, state.paramName, key: null));

    /// <summary>Detaches fields from the caller; fields this library built are immutable already and are kept as they are.</summary>
    internal static IReadOnlyDictionary<string, JsonElement> Copy(IReadOnlyDictionary<string, JsonElement>? values) => values switch
    {
        null or { Count: 0 } => Empty,
        JsonFields owned => owned,
        _ => new JsonFields(values.ToDictionary(p => p.Key, p => p.Value.ValueKind == JsonValueKind.Undefined ? NullElement : p.Value.Clone(), StringComparer.Ordinal)),
    };

    /// <summary>Writes fields as one JSON object value.</summary>
    internal static void WriteFields(Utf8JsonWriter writer, IReadOnlyDictionary<string, JsonElement> fields)
    {
        if (fields is JsonFields { Utf8: { } utf8 })
        {
            // Written by this library's validating writer, so it goes out as it is.
            writer.WriteRawValue(utf8, skipInputValidation: true);
            return;
        }

        writer.WriteStartObject();
        foreach (var (key, value) in fields)
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value, string paramName, string? key)
    {
        // The common scalars are written directly; anything else goes through the serializer.
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                return;
            case string text:
                writer.WriteStringValue(text);
                return;
            case bool flag:
                writer.WriteBooleanValue(flag);
                return;
            case int number:
                writer.WriteNumberValue(number);
                return;
            case long number:
                writer.WriteNumberValue(number);
                return;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                return;
            case JsonElement { ValueKind: JsonValueKind.Undefined }:
                writer.WriteNullValue();
                return;
            case JsonElement element:
                element.WriteTo(writer);
                return;
        }

        try
        {
            JsonSerializer.Serialize(writer, value, value.GetType(), ObjectOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            var where = key is null ? string.Empty : $" at key '{key}'";
            throw new ArgumentException($"The value{where} cannot be serialised to JSON: {ex.Message}", paramName, ex);
        }
    }
}
