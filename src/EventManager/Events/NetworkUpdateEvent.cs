using System.Text.Json;
using EventManager.Serialization;

namespace EventManager;

/// <summary>The network between agents changed. Event type <c>network_update</c>.</summary>
public sealed record NetworkUpdateEvent : WebSocketEvent
{
    internal const string Type = "network_update";

    /// <summary>The <see cref="UpdateType"/> used when none is given.</summary>
    public const string DefaultUpdateType = "update";

    /// <summary>Creates the event.</summary>
    /// <param name="connections">The connections of the network. Written as <c>data.connections</c>.</param>
    /// <param name="communicationStats">Message counts by agent id; none when omitted. Written as <c>data.communication_stats</c>.</param>
    /// <param name="updateType">What changed, such as <c>message_sent</c> or <c>emergency_mode</c>; <see cref="DefaultUpdateType"/> when omitted. Written as <c>data.event_type</c>.</param>
    /// <param name="details">Further fields; the field is left out when omitted. Written as <c>data.details</c>.</param>
    /// <exception cref="ArgumentException">A list or dictionary holds a <see langword="null"/> item or an empty key, or <paramref name="updateType"/> is empty.</exception>
    public NetworkUpdateEvent(
        IReadOnlyList<NetworkConnection> connections,
        IReadOnlyDictionary<string, CommunicationStats>? communicationStats = null,
        string? updateType = null,
        IReadOnlyDictionary<string, JsonElement>? details = null)
        : base(Type)
    {
        ArgumentNullException.ThrowIfNull(connections);
        var copy = new NetworkConnection[connections.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = connections[i] ?? throw new ArgumentException($"Connection {i} is null.", nameof(connections));
        }

        var stats = new Dictionary<string, CommunicationStats>(communicationStats?.Count ?? 0, StringComparer.Ordinal);
        foreach (var (agent, counts) in communicationStats ?? stats)
        {
            if (string.IsNullOrWhiteSpace(agent) || counts is null)
            {
                throw new ArgumentException("Every entry needs an agent id and counts.", nameof(communicationStats));
            }

            stats[agent] = counts;
        }

        if (updateType is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(updateType);
        }

        Connections = copy;
        CommunicationStats = stats;
        UpdateType = updateType ?? DefaultUpdateType;
        Details = details is null ? null : EventData.Copy(details);
    }

    /// <summary>The connections of the network.</summary>
    public IReadOnlyList<NetworkConnection> Connections { get; }

    /// <summary>Message counts by agent id.</summary>
    public IReadOnlyDictionary<string, CommunicationStats> CommunicationStats { get; }

    /// <summary>What changed, such as <c>message_sent</c>. Written as <c>data.event_type</c>.</summary>
    public string UpdateType { get; }

    /// <summary>Further fields, or <see langword="null"/> when there are none.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Details { get; }

    /// <summary>Compares the envelope and every data field by value.</summary>
    /// <param name="other">The other event.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(NetworkUpdateEvent? other) =>
        base.Equals(other)
        && Connections.SequenceEqual(other.Connections)
        && JsonEquality.Equal(CommunicationStats, other.CommunicationStats)
        && UpdateType == other.UpdateType
        && JsonEquality.Equal(Details, other.Details);

    /// <inheritdoc />
    public override int GetHashCode() => base.GetHashCode();

    private protected override void WriteData(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("connections");
        JsonSerializer.Serialize(writer, Connections, EventJsonContext.Default.IReadOnlyListNetworkConnection);
        writer.WritePropertyName("communication_stats");
        JsonSerializer.Serialize(writer, CommunicationStats, EventJsonContext.Default.IReadOnlyDictionaryStringCommunicationStats);
        writer.WriteString("event_type", UpdateType);
        if (Details is not null)
        {
            EventJson.WriteObject(writer, "details", Details);
        }

        writer.WriteEndObject();
    }

    internal static NetworkUpdateEvent ReadData(JsonElement data)
    {
        var list = EventJson.RequiredProperty(data, "connections", "data.connections", JsonValueKind.Array);
        var connections = new List<NetworkConnection>(list.GetArrayLength());
        foreach (var item in list.EnumerateArray())
        {
            var path = $"data.connections[{connections.Count}]";
            EventJson.Expect(item, path, JsonValueKind.Object);

            var from = EventJson.RequiredString(item, "from", path + ".from");
            var to = EventJson.RequiredString(item, "to", path + ".to");
            var strength = EventJson.RequiredNumber(item, "strength", path + ".strength");
            var isActive = EventJson.RequiredBoolean(item, "is_active", path + ".is_active");
            var type = EventJson.RequiredEnum(item, "type", path + ".type", EnumText.ParseConnectionType);
            connections.Add(EventJson.Construct(path, () => new NetworkConnection(from, to, strength, isActive, type)));
        }

        var stats = new Dictionary<string, CommunicationStats>(StringComparer.Ordinal);
        if (EventJson.TryGetOptional(data, "communication_stats", "data.communication_stats", JsonValueKind.Object, out var s))
        {
            foreach (var entry in s.EnumerateObject())
            {
                var path = $"data.communication_stats.{entry.Name}";
                EventJson.Expect(entry.Value, path, JsonValueKind.Object);

                var sent = EventJson.RequiredCount(entry.Value, "sent", path + ".sent");
                var received = EventJson.RequiredCount(entry.Value, "received", path + ".received");
                stats[entry.Name] = new CommunicationStats(sent, received);
            }
        }

        var updateType = EventJson.OptionalString(data, "event_type", "data.event_type");
        var details = EventJson.OptionalFields(data, "details", "data.details");
        return EventJson.Construct("data", () => new NetworkUpdateEvent(connections, stats, string.IsNullOrWhiteSpace(updateType) ? null : updateType, details));
    }
}
