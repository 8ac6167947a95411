using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace EventManager.Serialization;

/// <summary>
/// The further fields of an event (metadata, details) as one immutable JSON object. Fields built from .NET values are kept
/// as the UTF-8 bytes they were serialised to, which is what a socket or the Redis mirror writes, and become a dictionary
/// only if someone reads them as one; fields read from JSON arrive as a dictionary. <see cref="EventData.WriteFields"/>
/// writes either form.
/// </summary>
internal sealed class JsonFields : IReadOnlyDictionary<string, JsonElement>
{
    private readonly byte[]? _utf8;
    private Dictionary<string, JsonElement>? _fields;

    /// <summary>Fields serialised by this library: a JSON object written by <see cref="Utf8JsonWriter"/>.</summary>
    public JsonFields(byte[] utf8Object, int count)
    {
        _utf8 = utf8Object;
        Count = count;
    }

    /// <summary>Fields this library parsed or copied; nobody else holds the dictionary.</summary>
    public JsonFields(Dictionary<string, JsonElement> fields)
    {
        _fields = fields;
        Count = fields.Count;
    }

    public int Count { get; }

    /// <summary>The fields as the UTF-8 JSON object they were serialised to, or <see langword="null"/> for fields read from JSON.</summary>
    public byte[]? Utf8 => _utf8;

    public IEnumerable<string> Keys => Fields.Keys;

    public IEnumerable<JsonElement> Values => Fields.Values;

    private Dictionary<string, JsonElement> Fields => Volatile.Read(ref _fields) ?? Parse();

    public JsonElement this[string key] => Fields[key];

    public bool ContainsKey(string key) => Fields.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out JsonElement value) => Fields.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, JsonElement>> GetEnumerator() => Fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Dictionary<string, JsonElement> Parse()
    {
        var fields = new Dictionary<string, JsonElement>(Count, StringComparer.Ordinal);
        var element = EventData.Parse(_utf8!);
        foreach (var property in element.EnumerateObject())
        {
            fields[property.Name] = property.Value;
        }

        return Interlocked.CompareExchange(ref _fields, fields, null) ?? fields;
    }
}
