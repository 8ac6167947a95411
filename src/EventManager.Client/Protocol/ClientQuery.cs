using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EventManager.Client;

/// <summary>The query of a connection: the filter, batching, and where to resume.</summary>
internal static class ClientQuery
{
    public static Uri Build(Uri endpoint, string? filter, EventManagerClientOptions options, string? lastEventId, string? epoch)
    {
        var query = new StringBuilder(endpoint.Query.TrimStart('?'));
        if (filter is not null)
        {
            Add(query, "filter", filter);
        }

        if (options.BatchSize is { } size)
        {
            Add(query, "batch_size", size.ToString(CultureInfo.InvariantCulture));
        }

        if (options.BatchWindow is { } window)
        {
            Add(query, "batch_window_ms", ((long)window.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        }

        if (lastEventId is not null)
        {
            Add(query, "last_event_id", lastEventId);
            if (epoch is not null)
            {
                Add(query, "epoch", epoch);
            }
        }

        return new UriBuilder(endpoint) { Query = query.ToString() }.Uri;
    }

    /// <summary>The filter's JSON: <see cref="EventManagerClientOptions.Filter"/> with the event types added; made once, when the client is created.</summary>
    public static string? Filter(EventManagerClientOptions options)
    {
        if (options.EventTypes is null)
        {
            return options.Filter;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (options.Filter is not null)
            {
                using var given = JsonDocument.Parse(options.Filter);
                foreach (var property in given.RootElement.EnumerateObject())
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteStartArray("event_types");
            foreach (var type in options.EventTypes)
            {
                writer.WriteStringValue(type);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void Add(StringBuilder query, string name, string value)
    {
        if (query.Length > 0)
        {
            query.Append('&');
        }

        query.Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }
}
