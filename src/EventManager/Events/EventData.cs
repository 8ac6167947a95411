using System.Collections.Frozen;
using System.Collections.ObjectModel;
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

        var result = new Dictionary<string, JsonElement>(values.Count, StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            if (key is null)
            {
                throw new ArgumentException("A key must not be null.", paramName);
            }

            result[key] = ToElement(value, paramName, key);
        }

        return new OwnedFields(result);
    }

    /// <summary>Converts any value to a detached <see cref="JsonElement"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="paramName">The parameter name reported if the value cannot be serialised.</param>
    /// <returns>The JSON value.</returns>
    /// <exception cref="ArgumentException">The value cannot be serialised.</exception>
    public static JsonElement ToElement(object? value, string paramName = "value") => ToElement(value, paramName, key: null);

    /// <summary>Detaches fields from the caller; fields this library built are immutable already and are kept as they are.</summary>
    internal static IReadOnlyDictionary<string, JsonElement> Copy(IReadOnlyDictionary<string, JsonElement>? values) => values switch
    {
        null or { Count: 0 } => Empty,
        OwnedFields owned => owned,
        _ => new OwnedFields(new Dictionary<string, JsonElement>(values, StringComparer.Ordinal)),
    };

    private static JsonElement ToElement(object? value, string paramName, string? key)
    {
        if (value is JsonElement element)
        {
            return element.ValueKind == JsonValueKind.Undefined ? NullElement : element.Clone();
        }

        try
        {
            return value is null ? NullElement : JsonSerializer.SerializeToElement(value, value.GetType(), ObjectOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            var where = key is null ? string.Empty : $" at key '{key}'";
            throw new ArgumentException($"The value{where} cannot be serialised to JSON: {ex.Message}", paramName, ex);
        }
    }

    private static JsonElement NullElement { get; } = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>A read-only view of a dictionary that only this library holds, so nobody can change it after the fact.</summary>
    internal sealed class OwnedFields(Dictionary<string, JsonElement> fields) : ReadOnlyDictionary<string, JsonElement>(fields);
}
